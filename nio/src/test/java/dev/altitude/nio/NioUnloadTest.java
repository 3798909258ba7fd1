package dev.altitude.nio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.FilterManager;
import dev.altitude.core.Instance;
import dev.altitude.core.NtStatus;
import dev.altitude.core.UnloadMode;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Filters are loaded, unloaded, attached and detached while channels opened before are in use by several
 * threads: every block written is read back intact (CRC32), the files hold exactly what was written, the
 * channels keep working through the remaining stack, and no filter is called after its unload or detach
 * returned. {@code -Dnio.unload.cycles=N} (default 150).
 */
class NioUnloadTest {
    private static final int THREADS = 4;
    private static final int BLOCK = 4096;
    private static final int BLOCKS = 64;

    @TempDir
    Path base;

    @Test
    void filtersComeAndGoUnderOpenChannelsWithoutLosingOrCorruptingData() throws Exception {
        int cycles = Integer.getInteger("nio.unload.cycles", 150);
        try (FilterManager manager = FilterManager.builder().verifier(true).build();
             AltitudeFileSystem fs = AltitudeFileSystemProvider.mount(manager, "vol", base)) {
            Trace stay = Trace.load(manager, "stay", "380000", false);
            List<FileChannel> channels = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                channels.add(FileChannel.open(fs.getPath("/file" + t), StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.READ, StandardOpenOption.WRITE));
            }
            long[][] expected = new long[THREADS][BLOCKS];
            AtomicBoolean churning = new AtomicBoolean(true);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong verified = new AtomicLong();
            CountDownLatch started = new CountDownLatch(THREADS);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                workers.add(Thread.ofPlatform().name("io-" + t).start(() -> {
                    try {
                        Random r = new Random(id);
                        FileChannel ch = channels.get(id);
                        byte[] block = new byte[BLOCK];
                        ByteBuffer back = ByteBuffer.allocate(BLOCK);
                        started.countDown();
                        // at least one pass over every block, then on until the churn is over
                        for (int i = 0; churning.get() || i < BLOCKS; i++) {
                            int b = i % BLOCKS;
                            r.nextBytes(block);
                            ByteBuffer out = ByteBuffer.wrap(block);
                            while (out.hasRemaining()) {
                                ch.write(out, (long) b * BLOCK + out.position());
                            }
                            expected[id][b] = crc(block);
                            back.clear();
                            while (back.hasRemaining() && ch.read(back, (long) b * BLOCK + back.position()) > 0) {
                                // until the block is read whole
                            }
                            assertThat(crc(back.array())).as("thread %d block %d read back", id, b).isEqualTo(expected[id][b]);
                            verified.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            started.await();
            List<Trace> gone = new ArrayList<>();
            for (int c = 0; c < cycles && failure.get() == null; c++) {
                Trace churn = Trace.load(manager, "churn", "370000", false);
                while (churn.callbacks.get() == 0 && failure.get() == null) {
                    Thread.onSpinWait(); // unload only once the new filter is in the middle of the I/O
                }
                Instance extra = manager.attach("stay", "vol", "stay extra", "360000");
                assertThat(manager.detach("stay", "vol", "stay extra")).isEqualTo(NtStatus.SUCCESS);
                stay.detached.add(extra);
                assertThat(manager.unloadFilter("churn", c % 2 == 0 ? UnloadMode.OPTIONAL : UnloadMode.MANDATORY))
                        .isEqualTo(NtStatus.SUCCESS);
                gone.add(churn);
            }
            long duringChurn = verified.get();
            churning.set(false);
            for (Thread w : workers) {
                w.join();
            }
            if (failure.get() != null) {
                throw new AssertionError("an I/O thread failed", failure.get());
            }
            // the channels opened before every unload still work through the remaining stack
            long before = stay.callbacks.get();
            for (int t = 0; t < THREADS; t++) {
                assertThat(channels.get(t).size()).isEqualTo((long) BLOCKS * BLOCK);
                channels.get(t).close();
            }
            assertThat(stay.callbacks.get()).isGreaterThan(before);
            for (int t = 0; t < THREADS; t++) {
                byte[] all = Files.readAllBytes(base.resolve("file" + t));
                for (int b = 0; b < BLOCKS; b++) {
                    byte[] block = java.util.Arrays.copyOfRange(all, b * BLOCK, (b + 1) * BLOCK);
                    assertThat(crc(block)).as("file %d block %d on disk", t, b).isEqualTo(expected[t][b]);
                }
            }
            assertThat(gone).hasSize(cycles).allSatisfy(t -> {
                assertThat(t.late.get()).as("callbacks after unload").isZero();
                assertThat(t.callbacks.get()).as("the churned filter saw I/O").isPositive();
            });
            assertThat(stay.late.get()).as("callbacks after detach").isZero();
            assertThat(duringChurn).isPositive();
            System.out.printf("NioUnloadTest: %d unload and %d detach cycles under %d threads, %d blocks verified%n",
                    cycles, cycles, THREADS, verified.get());
        }
    }

    private static long crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return c.getValue();
    }

}
