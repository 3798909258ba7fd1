package dev.altitude.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.altitude.core.CallbackData;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.FileObject;
import dev.altitude.core.HolderKind;
import dev.altitude.core.IoParameters;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.MemoryBackend;
import dev.altitude.core.Volume;
import dev.altitude.test.FaultyBackend;
import dev.altitude.test.UnloadAssert;
import dev.altitude.test.Unloads;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import dev.altitude.core.NtStatus;
import dev.altitude.core.UnloadMode;
import dev.altitude.samples.swapbuffers.SwapBuffers;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** swapBuffers over an NIO volume: ciphertext on the disk, plaintext through the volume, every size the plaintext's. */
class SwapBuffersTest extends SampleFixture {
    static final String KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    static final String OTHER_KEY = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
    static final int RECORD = 4096 + 28;

    private void loadWith(String key) {
        load(SwapBuffers::new, DriverConfig.of(SwapBuffers.NAME).withParameter("key", key));
    }

    /** The stored size of {@code plain} bytes: 4096-byte blocks, each 28 bytes longer. */
    static long stored(long plain) {
        return plain / 4096 * RECORD + (plain % 4096 == 0 ? 0 : plain % 4096 + 28);
    }

    @Test
    void onTheDiskCiphertextThroughTheVolumePlaintextAndItsSize() throws Exception {
        loadWith(KEY);
        String text = "attack at dawn ".repeat(700); // 10,500 bytes: two full blocks and a part
        Files.writeString(path("/secret.txt"), text);
        byte[] raw = Files.readAllBytes(base.resolve("secret.txt"));
        assertThat(raw).hasSize((int) stored(text.length()));
        assertThat(new String(raw, StandardCharsets.ISO_8859_1)).doesNotContain("attack");
        assertThat(Files.readString(path("/secret.txt"))).isEqualTo(text);
        assertThat(Files.size(path("/secret.txt"))).isEqualTo(text.length());
        assertThat(Files.readAttributes(path("/secret.txt"), java.nio.file.attribute.PosixFileAttributes.class).size())
                .isEqualTo(text.length());
        try (Stream<Path> list = Files.list(path("/"))) {
            assertThat(list.map(p -> {
                try {
                    return p + " " + Files.size(p);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList()).containsExactly("/secret.txt " + text.length());
        }
        try (FileChannel ch = FileChannel.open(path("/secret.txt"), StandardOpenOption.READ)) {
            assertThat(ch.size()).isEqualTo(text.length());
            ByteBuffer b = ByteBuffer.allocate(20);
            ch.read(b, 4090); // across the first block's end
            assertThat(new String(b.array(), StandardCharsets.UTF_8)).isEqualTo(text.substring(4090, 4110));
            assertThat(ch.read(ByteBuffer.allocate(1), text.length())).isEqualTo(-1);
        }
    }

    /** Random writes, truncations, appends and gaps, each checked against the same done to an array. */
    @ParameterizedTest
    @ValueSource(longs = {1L, 2L, 3L, 20261207L})
    void randomWritesTruncationsAppendsAndGapsReadBackAsTheyWereWritten(long seed) throws Exception {
        loadWith(KEY);
        Random r = new Random(seed);
        byte[] model = new byte[0];
        Path f = path("/f.bin");
        Files.write(f, model);
        for (int step = 0; step < 60; step++) {
            int kind = r.nextInt(10);
            if (kind < 6) { // a write at a random place, maybe past the end
                int at = r.nextInt(model.length + 9000);
                byte[] bytes = new byte[1 + r.nextInt(9000)];
                r.nextBytes(bytes);
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                    ch.write(ByteBuffer.wrap(bytes), at);
                }
                model = Arrays.copyOf(model, Math.max(model.length, at + bytes.length));
                System.arraycopy(bytes, 0, model, at, bytes.length);
            } else if (kind < 8) { // an append
                byte[] bytes = new byte[r.nextInt(5000)];
                r.nextBytes(bytes);
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.APPEND)) {
                    ch.write(ByteBuffer.wrap(bytes));
                }
                int old = model.length;
                model = Arrays.copyOf(model, old + bytes.length);
                System.arraycopy(bytes, 0, model, old, bytes.length);
            } else { // a truncation
                int to = model.length == 0 ? 0 : r.nextInt(model.length);
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                    ch.truncate(to);
                }
                model = Arrays.copyOf(model, to);
            }
            assertThat(Files.size(f)).as("step %d", step).isEqualTo(model.length);
            assertThat(Files.size(base.resolve("f.bin"))).isEqualTo(stored(model.length));
            assertThat(Files.readAllBytes(f)).as("step %d", step).isEqualTo(model);
        }
    }

    @Test
    void aCopyThroughTheVolumeIsPlaintextToTheReaderAndCiphertextBeneath() throws Exception {
        loadWith(KEY);
        byte[] big = new byte[100_000];
        new Random(5).nextBytes(big);
        Files.write(path("/a"), big);
        Files.copy(path("/a"), path("/b"));
        assertThat(Files.readAllBytes(path("/b"))).isEqualTo(big);
        assertThat(Files.mismatch(base.resolve("a"), base.resolve("b"))).as("fresh nonces: other ciphertext").isNotNegative();
    }

    @Test
    void aWrongKeyOrAChangedByteIsAnAccessErrorNeverGarbage() throws Exception {
        loadWith(KEY);
        Files.writeString(path("/s"), "only for the right key");
        assertThat(rig.unload(SwapBuffers.NAME, UnloadMode.OPTIONAL)).isEqualTo(NtStatus.SUCCESS);
        loadWith(OTHER_KEY);
        assertThrows(AccessDeniedException.class, () -> Files.readString(path("/s")));
        assertThat(rig.unload(SwapBuffers.NAME, UnloadMode.OPTIONAL)).isEqualTo(NtStatus.SUCCESS);

        byte[] raw = Files.readAllBytes(base.resolve("s"));
        raw[20] ^= 1;
        Files.write(base.resolve("s"), raw);
        loadWith(KEY);
        assertThrows(AccessDeniedException.class, () -> Files.readString(path("/s")));
    }

    /**
     * An unload while a write is in flight: the filter's record write is held below it, the unload waits for the
     * running pre-write (and the I/O it issued), and the record lands whole: the file opens after a new load.
     */
    @Test
    void anUnloadWhileAWriteIsInFlightWaitsForItsRecordSoNoBlockIsTorn() throws Exception {
        FaultyBackend disk = FaultyBackend.over(new MemoryBackend());
        FaultyBackend.Hold held = disk.hold(d -> d.majorFunction() == MajorFunction.WRITE && d.fileObject() != null
                && d.fileObject().path().equals("/held") && d.parameters(IoParameters.Write.class).buffer().remaining() == 4096 + 28);
        Volume mem = rig.volume("mem", disk);
        loadWith(KEY);
        FileObject fo = open(mem, "/held");
        byte[] block = new byte[4096];
        new Random(9).nextBytes(block);
        CompletableFuture<NtStatus> write = CompletableFuture.supplyAsync(() -> mem.perform(new CallbackData(fo,
                new IoParameters.Write(0, ByteBuffer.wrap(block)))));
        Unloads.Pending unload;
        try {
            assertThat(held.awaitHeld(1, Duration.ofSeconds(30))).isTrue();
            unload = Unloads.start(manager, SwapBuffers.NAME, UnloadMode.MANDATORY);
            UnloadAssert.assertThatUnload(unload.awaitWaiting()).isBlockedBy(HolderKind.RUNNING_CALLBACK)
                    .isBlockedBy(HolderKind.FILTER_IO).withDetail("WRITE /held issued by the filter");
        } finally {
            held.release();
        }
        assertThat(write.get()).isEqualTo(NtStatus.SUCCESS);
        assertThat(unload.await(Duration.ofSeconds(30))).isEqualTo(NtStatus.SUCCESS);
        close(mem, fo);
        loadWith(KEY);
        FileObject again = open(mem, "/held");
        CallbackData read = new CallbackData(again, new IoParameters.Read(0, ByteBuffer.allocate(4096)));
        assertThat(mem.perform(read)).isEqualTo(NtStatus.SUCCESS);
        assertThat(read.parameters(IoParameters.Read.class).buffer().array()).isEqualTo(block);
        close(mem, again);
    }

    private static FileObject open(Volume v, String path) {
        FileObject fo = new FileObject(path);
        assertThat(v.perform(new CallbackData(fo, new IoParameters.Create(java.util.Set.of(IoParameters.Access.WRITE_DATA),
                IoParameters.CreateDisposition.OPEN_IF, java.util.Set.of(), IoParameters.FileKind.FILE, null, null))))
                .isEqualTo(NtStatus.SUCCESS);
        return fo;
    }

    private static void close(Volume v, FileObject fo) {
        v.perform(new CallbackData(fo, new IoParameters.Cleanup()));
        v.perform(new CallbackData(fo, new IoParameters.Close()));
    }

    @Test
    void itAttachesOnlyWhereNonCachedIoAsksNoAlignmentAndTheVolumeSaysItsBlockSize() throws Exception {
        MemoryBackend files = new MemoryBackend();
        rig.volume("aligned", new dev.altitude.core.VolumeBackend() {
            @Override
            public void perform(CallbackData data) {
                files.perform(data);
            }

            @Override
            public dev.altitude.core.VolumeProperties properties() {
                return new dev.altitude.core.VolumeProperties(4096, 512);
            }
        });
        loadWith(KEY);
        assertThat(manager.instances()).extracting(i -> i.volume()).containsExactly("vol");
        assertThat(manager.volume("vol").orElseThrow().properties().blockSize())
                .isEqualTo((int) Files.getFileStore(base).getBlockSize());
        assertThat(manager.volume("aligned").orElseThrow().properties()).isEqualTo(new dev.altitude.core.VolumeProperties(4096, 512));
    }

    @Test
    void aKeyThatIsNotAesTwoFiftySixIsRefusedAtTheLoad() {
        manager.registerDriver(SwapBuffers.NAME, SwapBuffers::new);
        assertThat(manager.loadFilter(DriverConfig.of(SwapBuffers.NAME).withParameter("key", "abcd"))).isEqualTo(NtStatus.INVALID_PARAMETER);
        assertThat(manager.loadFilter(DriverConfig.of(SwapBuffers.NAME))).isEqualTo(NtStatus.INVALID_PARAMETER);
    }
}
