package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.FilterManager;
import dev.altitude.core.NtStatus;
import dev.altitude.samples.cancelsafe.CancelSafe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * INTERRUPT: a read pended by a cancel-safe filter ends with EINTR when its caller is interrupted (a signal with a
 * handler), long before the filter would have let it go; the filter's queue cancelled it, and the mount still works.
 */
class InterruptTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void canMount() {
        String missing = FuseMount.unavailableReason();
        Assumptions.assumeTrue(missing == null, () -> "kernel FUSE tests skipped: " + missing);
    }

    @Test
    void aSignalledCallerOfAPendedReadGetsEintrAndTheFilterCancelsIt() throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Files.writeString(source.resolve("slow"), "held back");
        try (FilterManager manager = FilterManager.builder().verifier(true).build()) {
            manager.registerDriver(CancelSafe.NAME, CancelSafe::new);
            // an hour's delay: only a cancellation ends the read within the test's bound
            assertThat(manager.loadFilter(DriverConfig.parse("cancelsafe:delayMillis=3600000"))).isEqualTo(NtStatus.SUCCESS);
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
}
