package dev.altitude.samples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.HolderKind;
import dev.altitude.core.NtStatus;
import dev.altitude.samples.cancelsafe.CancelSafe;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class CancelSafeTest extends SampleFixture {
    private void loadCancelSafe(long delayMillis) throws Exception {
        Files.createDirectory(base.resolve("testdir"));
        load(CancelSafe::new, DriverConfig.of(CancelSafe.NAME).withParameter("path", "/testdir")
                .withParameter("delayMillis", Long.toString(delayMillis)));
    }

    private static String read(FileChannel ch) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(64);
        int n = ch.read(b, 0);
        return new String(b.array(), 0, Math.max(n, 0), UTF_8);
    }

    @Test
    void aReadInTheOperatingDirectoryWaitsForTheDelayAndReturnsTheData() throws Exception {
        loadCancelSafe(300);
        Files.writeString(base.resolve("testdir/f"), "slow data");
        Files.writeString(base.resolve("g"), "fast data");
        try (FileChannel ch = FileChannel.open(path("/testdir/f"))) {
            long t0 = System.nanoTime();
            assertThat(read(ch)).isEqualTo("slow data");
            assertThat((System.nanoTime() - t0) / 1_000_000).as("pended for the delay").isGreaterThanOrEqualTo(300);
        }
        assertThat(Files.readString(path("/g"))).as("outside the operating directory").isEqualTo("fast data");
    }

    @Test
    void anInterruptedCallerGetsACancellationAndTheFileIsUnaffected() throws Exception {
        loadCancelSafe(60_000);
        Files.writeString(base.resolve("testdir/f"), "data");
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            try (FileChannel ch = FileChannel.open(path("/testdir/f"))) {
                read(ch);
            } catch (Throwable e) {
                outcome.set(e);
            }
        });
        awaitPendedReads(1);
        reader.interrupt();
        reader.join();
        assertThat(outcome.get()).isExactlyInstanceOf(ClosedByInterruptException.class);
        assertThat(Files.readString(base.resolve("testdir/f"))).isEqualTo("data");
    }

    @Test
    void unloadingReleasesEveryParkedReadPromptlyWithCorrectData() throws Exception {
        loadCancelSafe(600_000);
        List<CompletableFuture<String>> reads = new ArrayList<>();
        List<Thread> readers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Files.writeString(base.resolve("testdir/f" + i), "content " + i);
            int n = i;
            CompletableFuture<String> r = new CompletableFuture<>();
            reads.add(r);
            readers.add(Thread.ofPlatform().start(() -> {
                try (FileChannel ch = FileChannel.open(path("/testdir/f" + n), StandardOpenOption.READ)) {
                    r.complete(read(ch));
                } catch (Throwable e) {
                    r.completeExceptionally(e);
                }
            }));
        }
        awaitPendedReads(3);
        long t0 = System.nanoTime();
        assertThat(manager.unloadFilter(CancelSafe.NAME)).isEqualTo(NtStatus.SUCCESS);
        for (int i = 0; i < 3; i++) {
            assertThat(reads.get(i).get()).isEqualTo("content " + i);
        }
        assertThat((System.nanoTime() - t0) / 1_000_000_000).as("well before the 600 s delay").isLessThan(30);
    }

    /**
     * Until {@code n} reads are pended in the filter's queue, as the unload report accounts them (a thread
     * that merely waits could be waiting for anything else).
     */
    private void awaitPendedReads(int n) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (manager.explain(CancelSafe.NAME).orElseThrow().holders(HolderKind.PENDED_PRE_OPERATION).size() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(n + " reads not pended within 30 s");
            }
            Thread.onSpinWait();
        }
    }
}
