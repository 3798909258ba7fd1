package dev.altitude.samples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.FilterClient;
import dev.altitude.core.NtStatus;
import dev.altitude.core.UnloadMode;
import dev.altitude.samples.avscan.AvScan;
import dev.altitude.samples.avscan.AvScanClient;
import dev.altitude.samples.avscan.AvScanMessages;
import dev.altitude.test.Poll;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * avscan on an NIO volume, its client in this JVM over the port's Unix socket (the descriptor passed with
 * {@code SCM_RIGHTS}) or in-process; the EICAR test string is the foul content. The FUSE mount's test is
 * {@code AvScanMountTest} (module fuse).
 */
class AvScanTest extends SampleFixture {
    private final ByteArrayOutputStream clientOut = new ByteArrayOutputStream();
    private AvScanClient client;
    private CompletableFuture<Long> running;

    private void start(boolean overSocket, AvScanClient.Engine engine, int threads) {
        FilterClient port = overSocket ? FilterClient.connect(rig.portDirectory(), AvScanMessages.PORT, new byte[0])
                : FilterClient.connect(manager, AvScanMessages.PORT, new byte[0]);
        client = new AvScanClient(port, new PrintStream(clientOut, true, UTF_8), engine);
        running = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("avscan-client").start(() -> {
            try {
                running.complete(client.run(threads));
            } catch (Throwable t) {
                running.completeExceptionally(t);
            }
        });
    }

    private String said() {
        return clientOut.toString(UTF_8);
    }

    private static byte[] withEicarAt(int size, int at) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) 'a');
        System.arraycopy(AvScanMessages.eicar(), 0, b, at, AvScanMessages.eicar().length);
        return b;
    }

    @ParameterizedTest(name = "over the socket: {0}")
    @ValueSource(booleans = {true, false})
    void anInfectedFileIsDeniedACleanOneOpensAndTheEngineReadsTheWholeFileItself(boolean overSocket) throws Exception {
        // three MiB with the signature at the very end: more than any port message carries (1 MiB)
        Files.write(base.resolve("big.bin"), withEicarAt(3 << 20, (3 << 20) - AvScanMessages.eicar().length));
        Files.write(base.resolve("eicar.com"), AvScanMessages.eicar());
        Files.writeString(base.resolve("clean.txt"), "nothing to see");
        load(AvScan::new);
        start(overSocket, AvScanClient.eicar(), 2);
        assertThatThrownBy(() -> Files.readAllBytes(path("/big.bin"))).isExactlyInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> Files.readAllBytes(path("/eicar.com"))).isExactlyInstanceOf(AccessDeniedException.class);
        assertThat(Files.readString(path("/clean.txt"))).isEqualTo("nothing to see");
        assertThat(said()).contains("scan open /big.bin: infected", "scan open /eicar.com: infected",
                "scan open /clean.txt: clean");
        assertThat(client.scans()).isEqualTo(3);
        assertThat(rig.explain(AvScan.NAME).holders(dev.altitude.core.HolderKind.LENT_FILE)).isEmpty();
    }

    @Test
    void theVerdictIsCachedWhileTheFileIsOpenAWriteMakesItStaleAndTheCloseRescans() throws Exception {
        Files.writeString(base.resolve("doc.txt"), "clean so far\n");
        load(AvScan::new);
        start(true, AvScanClient.eicar(), 2);
        try (FileChannel keep = FileChannel.open(path("/doc.txt"), StandardOpenOption.READ)) {
            assertThat(client.scans()).isEqualTo(1);
            try (FileChannel again = FileChannel.open(path("/doc.txt"), StandardOpenOption.READ)) {
                assertThat(again.size()).isEqualTo(13);
            }
            assertThat(client.scans()).as("the stream's verdict answered the second open").isEqualTo(1);
            try (FileChannel w = FileChannel.open(path("/doc.txt"), StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                assertThat(client.scans()).as("cached: clean").isEqualTo(1);
                w.write(ByteBuffer.wrap(AvScanMessages.eicar()));
            }
            assertThat(said()).contains("scan close /doc.txt: infected");
            assertThat(client.scans()).isEqualTo(2);
            assertThatThrownBy(() -> Files.readAllBytes(path("/doc.txt"))).isExactlyInstanceOf(AccessDeniedException.class);
            assertThat(client.scans()).as("the infected verdict answered, no scan").isEqualTo(2);
            assertThat(keep.size()).isEqualTo(13 + AvScanMessages.eicar().length);
        }
        // the stream's last close took its verdict: the next open asks again
        assertThatThrownBy(() -> Files.readAllBytes(path("/doc.txt"))).isExactlyInstanceOf(AccessDeniedException.class);
        assertThat(client.scans()).isEqualTo(3);
    }

    @Test
    void aTruncateMakesTheVerdictStaleToo() throws Exception {
        Files.write(base.resolve("t.bin"), withEicarAt(4096, 4000));
        load(AvScan::new);
        start(true, AvScanClient.eicar(), 2);
        try (FileChannel w = FileChannel.open(base.resolve("t.bin"), StandardOpenOption.WRITE)) {
            w.truncate(100); // below the volume: the filter sees none of it
        }
        assertThat(Files.readAllBytes(path("/t.bin"))).hasSize(100);
        assertThatThrownBy(() -> {
            try (FileChannel w = FileChannel.open(path("/t.bin"), StandardOpenOption.WRITE)) {
                w.write(ByteBuffer.wrap(AvScanMessages.eicar()), 0);
                w.truncate(AvScanMessages.eicar().length); // through the volume: stale, rescanned on close
            }
            Files.readAllBytes(path("/t.bin"));
        }).isExactlyInstanceOf(AccessDeniedException.class);
        assertThat(said()).contains("scan close /t.bin: infected");
    }

    /** An engine that reads the first byte and then waits until it is aborted, counting the aborts it sees. */
    private static final class StuckEngine implements AvScanClient.Engine {
        final CountDownLatch reading = new CountDownLatch(1);
        final AtomicInteger stopped = new AtomicInteger();

        @Override
        public boolean infected(dev.altitude.core.LentFile file, java.util.function.BooleanSupplier aborted) throws java.io.IOException {
            file.read(ByteBuffer.allocate(1), 0);
            reading.countDown();
            Poll.until("aborted", aborted, Duration.ofMinutes(1));
            stopped.incrementAndGet();
            return false;
        }
    }

    @ParameterizedTest(name = "onTimeout={0}")
    @ValueSource(strings = {"allow", "deny"})
    void aScanPastTheTimeoutIsDecidedByThePolicyAndTheEngineIsToldToAbort(String policy) throws Exception {
        Files.writeString(base.resolve("slow.txt"), "takes forever");
        load(AvScan::new, DriverConfig.parse("avscan:timeout=300ms:onTimeout=" + policy));
        StuckEngine engine = new StuckEngine();
        start(true, engine, 2); // the second thread takes the abort
        if (policy.equals("allow")) {
            assertThat(Files.readString(path("/slow.txt"))).isEqualTo("takes forever");
        } else {
            assertThatThrownBy(() -> Files.readString(path("/slow.txt"))).isExactlyInstanceOf(AccessDeniedException.class);
        }
        Poll.until("the engine stopped", () -> engine.stopped.get() == 1, Duration.ofSeconds(30));
        Poll.until("the abort said", () -> said().contains("scan open /slow.txt: aborted"), Duration.ofSeconds(30));
        assertThat(client.scans()).isZero();
    }

    @Test
    void anUnloadDuringAScanEndsItAtOnceTheOpenGoesOnAndTheEnginesDescriptorIsClosed() throws Exception {
        Files.writeString(base.resolve("held.txt"), "being scanned");
        load(AvScan::new, DriverConfig.parse("avscan:timeout=PT10M"));
        StuckEngine engine = new StuckEngine();
        start(true, engine, 1);
        CompletableFuture<String> open = CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readString(path("/held.txt"));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, r -> Thread.ofPlatform().daemon().start(r));
        assertThat(engine.reading.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(rig.explain(AvScan.NAME).holders(dev.altitude.core.HolderKind.LENT_FILE)).hasSize(1);
        assertThat(rig.unload(AvScan.NAME, UnloadMode.MANDATORY)).isEqualTo(NtStatus.SUCCESS);
        assertThat(open.get(60, TimeUnit.SECONDS)).isEqualTo("being scanned");
        assertThat(running.get(60, TimeUnit.SECONDS)).isZero();
        assertThat(engine.stopped.get()).isEqualTo(1);
        assertThat(said()).contains("scan open /held.txt: aborted", AvScanClient.DISCONNECTED);
    }

    @Test
    void aBadTimeoutOrPolicyFailsTheLoad() {
        manager.registerDriver(AvScan.NAME, AvScan::new);
        assertThat(manager.loadFilter(DriverConfig.parse("avscan:timeout=0s")).isFailure()).isTrue();
        assertThat(manager.loadFilter(DriverConfig.parse("avscan:onTimeout=later")).isFailure()).isTrue();
    }
}
