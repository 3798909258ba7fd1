package dev.altitude.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon run by a user other than root ({@code nobody}) mounts through {@code fusermount3}, serves that user,
 * and unmounts through it on SIGTERM. {@code fusermount3} opens {@code /dev/fuse} as the user: Debian's udev rule
 * makes the device 0666, this machine kind ships it 0600, so the test opens it for the test's length and restores it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NonRootMountTest {
    private static final int NOBODY = 65534;
    private static final Path DEVICE = Path.of("/dev/fuse");

    @TempDir
    Path dir;
    private String deviceMode;

    @BeforeEach
    void openTheDevice() throws Exception {
        Daemon.assumeFuse();
        deviceMode = PosixFilePermissions.toString(Files.getPosixFilePermissions(DEVICE));
        Files.setPosixFilePermissions(DEVICE, PosixFilePermissions.fromString("rw-rw-rw-"));
    }

    @AfterEach
    void restoreTheDevice() throws Exception {
        if (deviceMode != null) {
            Files.setPosixFilePermissions(DEVICE, PosixFilePermissions.fromString(deviceMode));
        }
    }

    private static boolean mounted(Path mp) throws Exception {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().anyMatch(l -> l.split(" ")[4].equals(mp.toString()));
    }

    private static Daemon.Result asNobody(Path cwd, String script) throws Exception {
        Process p = new ProcessBuilder("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "bash", "-c",
                script).directory(cwd.toFile()).redirectErrorStream(true).start();
        var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes());
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            return new Daemon.Result(-1, "did not finish within 60 s: " + out.getNow(""), "");
        }
        return new Daemon.Result(p.exitValue(), out.get(60, TimeUnit.SECONDS), "");
    }

    @Test
    void nobodysDaemonMountsThroughFusermountServesItAndUnmountsOnSigterm() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Path run = Files.createDirectory(dir.resolve("run"));
        for (Path p : List.of(source, mnt, run)) {
            Files.setAttribute(p, "unix:uid", NOBODY);
            Files.setAttribute(p, "unix:gid", NOBODY);
        }
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwx------"));
        try (AltitudeCommand daemon = AltitudeCommand.startAs(NOBODY, "mount", source.toString(), mnt.toString(),
                "--filter", "passthrough", "--run-dir", run.toString())) {
            daemon.expect("altitude: mounted");
            assertThat(mounted(mnt)).isTrue();
            // without allow_other (not in /etc/fuse.conf) only nobody reaches the mount, not even root
            Daemon.Result io = asNobody(dir, "cd mnt && printf hello > f; mkdir d; ln f d/g; mkfifo p; stat -c '%U %h %F' f p; cat d/g;"
                    + " ALTITUDE_NO_BUILD=1 " + AltitudeCommand.script() + " fltmc filters --run-dir " + run);
            assertThat(io.exit()).as(io.out()).isZero();
            assertThat(io.out()).contains("nobody 2 regular file", "nobody 1 fifo", "hello", "passthrough");
            assertThat(Files.readString(source.resolve("d/g"))).isEqualTo("hello");
            daemon.terminate();
            daemon.expect("altitude: unmounted");
            assertThat(daemon.exitCode()).as(daemon.stderr()).isEqualTo(143); // 128 + SIGTERM, after the shutdown
            assertThat(mounted(mnt)).as("unmounted through fusermount3").isFalse();
        } finally {
            if (mounted(mnt)) { // a failure above: the daemon is killed, its mount must not outlive the test
                new ProcessBuilder("umount", "-l", mnt.toString()).start().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
