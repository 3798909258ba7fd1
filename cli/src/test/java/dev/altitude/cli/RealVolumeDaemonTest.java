package dev.altitude.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.fuse.RealVolume;
import dev.altitude.samples.scanner.ScannerClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code altitude mount --real}: the daemon's filters on a real, loop-mounted ext4 in place (fanotify), beside a
 * FUSE volume of the same daemon, with the scanner and its user-mode client as separate processes.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RealVolumeDaemonTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void fuse() {
        Daemon.assumeFuse();
    }

    @Test
    void theScannerDecidesOpensAndExecutionsOfEveryUserAndItsUnloadAnswersWhatIsPending() throws Exception {
        try (RealVolume real = RealVolume.make(RealVolume.Kind.EXT4, Files.createDirectories(dir.resolve("real")))) {
            Path m = real.mountPoint;
            for (Path p : new Path[] {dir, dir.resolve("real"), m}) { // nobody reaches the volume by its absolute path
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            Files.writeString(m.resolve("foul.txt"), "something foul");
            Files.writeString(m.resolve("clean.txt"), "all good");
            Files.writeString(m.resolve("bad.sh"), "#!/bin/sh\n# foul\necho it ran\n");
            Files.writeString(m.resolve("good.sh"), "#!/bin/sh\necho good ran\n");
            for (String f : new String[] {"foul.txt", "clean.txt"}) {
                Files.setPosixFilePermissions(m.resolve(f), PosixFilePermissions.fromString("rw-r--r--"));
            }
            for (String f : new String[] {"bad.sh", "good.sh"}) {
                Files.setPosixFilePermissions(m.resolve(f), PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            try (Daemon d = Daemon.start(dir, "--real", m.toString(), "--answer-within", "90s",
                    "--filter", "scanner:extensions=txt,sh:timeout=60s")) {
                Daemon.Result volumes = d.fltmc("volumes");
                assertThat(volumes.out()).contains(m.toString()).contains("fanotify:ext4").contains(d.mountPoint.toString());
                try (AltitudeCommand client = AltitudeCommand.start("scanuser", "--port-dir", d.runDir.resolve("ports").toString())) {
                    client.expect("scanuser: connected");
                    Daemon.Result foul = d.shell("nobody", "cat " + m.resolve("foul.txt"));
                    assertThat(foul.exit()).isEqualTo(1);
                    assertThat(foul.err()).contains("foul.txt: Operation not permitted");
                    client.expect("scan open: foul");
                    assertThat(d.shell("nobody", "cat " + m.resolve("clean.txt")).out()).isEqualTo("all good");
                    Daemon.Result run = d.shell(null, m.resolve("good.sh") + " && " + m.resolve("bad.sh"));
                    assertThat(run.out()).contains("good ran").doesNotContain("it ran");
                    assertThat(run.exit()).isNotZero();

                    Daemon.Result attach = d.fltmc("attach", "scanner", m.toString(), "-i", "second", "-a", "265001");
                    assertThat(attach.exit()).as(attach.err()).isZero();
                    assertThat(attach.out()).contains("STATUS_FLT_PRE_OPERATIONS_NOT_DELIVERED").contains("WRITE").contains("CLEANUP");
                    assertThat(d.fltmc("detach", "scanner", m.toString(), "second").exit()).isZero();

                    // the client stops with a verdict owed; an open waits for it; the unload answers it
                    signal("STOP", client.pid());
                    Process pending = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "cat",
                            m.resolve("foul.txt").toString()).redirectErrorStream(true).start();
                    try {
                        awaitPending(d, "open of /foul.txt");
                        assertThat(d.fltmc("explain", "scanner").out()).contains("CREATE /foul.txt (pid " + pending.pid() + ")");
                        assertThat(d.fltmc("unload", "scanner").exit()).isZero();
                        assertThat(pending.waitFor(30, TimeUnit.SECONDS)).as("no process stays blocked").isTrue();
                    } finally {
                        signal("CONT", client.pid());
                        pending.destroyForcibly();
                    }
                    client.expect(ScannerClient.DISCONNECTED);
                    assertThat(client.exitCode()).isZero();
                }
                assertThat(d.shell("nobody", "cat " + m.resolve("foul.txt")).out()).isEqualTo("something foul");
                assertThat(d.fltmc("volumes").out()).contains("answered at the bound 0");
                d.stop();
            }
        }
    }

    private static void awaitPending(Daemon d, String what) throws Exception {
        for (int i = 0; i < 60; i++) { // each look is a JVM start: a hang guard, not a timing
            if (d.fltmc("volumes").out().contains("pending: " + what)) {
                return;
            }
        }
        throw new AssertionError("never pending: " + what + "\n" + d.fltmc("volumes").out());
    }

    private static void signal(String name, long pid) throws Exception {
        Process k = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).start();
        assertThat(k.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(k.exitValue()).isZero();
    }
}
