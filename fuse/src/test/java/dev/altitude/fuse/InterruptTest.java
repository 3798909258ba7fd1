package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.FilterManager;
import dev.altitude.core.NtStatus;
import dev.altitude.samples.cancelsafe.CancelSafe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * INTERRUPT: a read pended by a cancel-safe filter ends with EINTR when its caller is interrupted (a signal with a
 * handler), long before the filter would have let it go; the filter's queue cancelled it, and the mount still works.
 */
class InterruptTest extends MountingTest {
    /** A source with the file "slow", whose reads the cancelSafe filter holds back. */
    private Path source() throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Files.writeString(source.resolve("slow"), "held back");
        return source;
    }

    /** A manager with cancelSafe pending every read for an hour: only a cancellation ends one within a test's bound. */
    private static FilterManager managerWithCancelSafe() {
        FilterManager manager = FilterManager.builder().verifier(true).build();
        manager.registerDriver(CancelSafe.NAME, CancelSafe::new);
        assertThat(manager.loadFilter(DriverConfig.parse("cancelsafe:delayMillis=3600000"))).isEqualTo(NtStatus.SUCCESS);
        return manager;
    }

    @Test
    void aSignalledCallerOfAPendedReadGetsEintrAndTheFilterCancelsIt() throws Exception {
        Path source = source();
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        try (FilterManager manager = managerWithCancelSafe()) {
            try (FuseMount m = FuseMount.mount(manager, "intr", source, mnt, 2)) {
                String py = String.join("\n",
                        "import errno, os, signal",
                        "class Alarm(Exception): pass",
                        "def ring(sig, frame): raise Alarm()",
                        "signal.signal(signal.SIGALRM, ring)",
                        "fd = os.open('slow', os.O_RDONLY)",
                        "signal.setitimer(signal.ITIMER_REAL, 0.5)",
                        "try:",
                        "    os.read(fd, 100)",
                        "    print('read')",
                        "except Alarm:",
                        "    print('interrupted')",
                        "os.close(fd)");
                Bounded.Result r = Bounded.run(mnt, List.of("python3", "-c", py));
                assertThat(r.exit()).as(r.out()).isZero();
                assertThat(r.out().strip()).isEqualTo("interrupted");
                assertThat(m.requestsByOpcode()[Abi.INTERRUPT]).as("the kernel sent INTERRUPT").isPositive();
                Bounded.Result ls = Bounded.run(mnt, List.of("ls"));
                assertThat(ls.out().strip()).isEqualTo("slow");
            }
            assertThat(manager.unloadFilter(CancelSafe.NAME)).isEqualTo(NtStatus.SUCCESS);
        }
    }

    /**
     * An abort of the connection ({@code /sys/fs/fuse/connections/N/abort}) while a caller waits on a pended read: the
     * caller gets an error at once, and the daemon's unmount and dismount still end (the dismount's teardown lets the
     * parked read go).
     */
    @Test
    void anAbortedConnectionLeavesNoCallerAndNoDaemonThreadHanging() throws Exception {
        Path source = source();
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        try (FilterManager manager = managerWithCancelSafe()) {
            FuseMount m = FuseMount.mount(manager, "abort", source, mnt, 2);
            try {
                long dev = (Long) Files.getAttribute(mnt, "unix:dev");
                long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
                Path connections = Path.of("/sys/fs/fuse/connections");
                if (!Files.exists(connections.resolve(Long.toString(minor)))) {
                    // fusectl is not mounted on this machine kind (systemd mounts it elsewhere): mount it, as root
                    Bounded.Result r = Bounded.run(dir, List.of("mount", "-t", "fusectl", "fusectl", connections.toString()));
                    assertThat(r.exit()).as(r.out()).isZero();
                }
                Path abort = connections.resolve(minor + "/abort");
                assertThat(abort).exists();
                Process reader = new ProcessBuilder("python3", "-c", String.join("\n",
                        "import os, sys",
                        "fd = os.open(sys.argv[1], os.O_RDONLY)",
                        "print('open', flush=True)",
                        "try:",
                        "    os.read(fd, 100)",
                        "    print('read')",
                        "except OSError as e:",
                        "    print('failed', e.strerror)"), mnt.resolve("slow").toString()).redirectErrorStream(true).start();
                var lines = new java.io.BufferedReader(new java.io.InputStreamReader(reader.getInputStream()));
                var first = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return lines.readLine();
                    } catch (java.io.IOException e) {
                        return e.toString();
                    }
                });
                assertThat(first.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("open");
                // abort once the READ has reached the daemon (the filter parks it there)
                assertThat(m.awaitRequests(Abi.READ, 1, 30_000)).as("the READ arrived").isTrue();
                Files.writeString(abort, "1");
                var second = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return lines.readLine();
                    } catch (java.io.IOException e) {
                        return e.toString();
                    }
                });
                assertThat(second.get(30, java.util.concurrent.TimeUnit.SECONDS)).startsWith("failed");
                assertThat(reader.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            } finally {
                var closed = java.util.concurrent.CompletableFuture.runAsync(() -> {
                    try {
                        m.close();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                closed.get(60, java.util.concurrent.TimeUnit.SECONDS); // the unmount and the dismount end
            }
            assertThat(manager.unloadFilter(CancelSafe.NAME)).isEqualTo(NtStatus.SUCCESS);
        }
    }
}
