package dev.altitude.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.fuse.FuseMount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** An {@code altitude mount} daemon in its own process, and {@code altitude fltmc} against it. */
final class Daemon implements AutoCloseable {
    final Path source;
    final Path mountPoint;
    final Path runDir;
    final AltitudeCommand process;

    record Result(int exit, String out, String err) {
    }

    static void assumeFuse() {
        String missing = FuseMount.unavailableReason();
        Assumptions.assumeTrue(missing == null, () -> "FUSE tests skipped: " + missing);
    }

    private Daemon(Path source, Path mountPoint, Path runDir, AltitudeCommand process) {
        this.source = source;
        this.mountPoint = mountPoint;
        this.runDir = runDir;
        this.process = process;
    }

    /** Starts a daemon over {@code dir/source} at {@code dir/mnt} and waits until it says it mounted. */
    static Daemon start(Path dir, String... options) throws Exception {
        Path source = Files.createDirectories(dir.resolve("source"));
        Path mnt = dir.resolve("mnt");
        try {
            Files.createDirectory(mnt);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // there already, perhaps as the stale mount of a killed daemon: the daemon cleans that
        }
        Path run = dir.resolve("run");
        List<String> args = new ArrayList<>(List.of("mount", source.toString(), mnt.toString(), "--run-dir", run.toString()));
        args.addAll(List.of(options));
        AltitudeCommand p = AltitudeCommand.start(args.toArray(String[]::new));
        p.expect("altitude: mounted");
        return new Daemon(source, mnt, run, p);
    }

    /** Runs {@code altitude fltmc ARGS --run-dir …} and returns what it did. */
    Result fltmc(String... args) throws Exception {
        List<String> a = new ArrayList<>(List.of("fltmc"));
        a.addAll(List.of(args));
        if (args.length > 0) {
            a.addAll(List.of("--run-dir", runDir.toString()));
        }
        try (AltitudeCommand c = AltitudeCommand.start(a.toArray(String[]::new))) {
            int exit = c.exitCode();
            return new Result(exit, String.join("\n", c.output()), c.stderr());
        }
    }

    /** Runs a shell command, as {@code user} when not null (setpriv), in the mount point. */
    Result shell(String user, String script) throws Exception {
        List<String> cmd = new ArrayList<>();
        if (user != null) {
            cmd.addAll(List.of("setpriv", "--reuid", user, "--regid", "nogroup", "--clear-groups"));
        }
        cmd.addAll(List.of("bash", "-c", script));
        Path out = Files.createTempFile("altitude-shell", ".out");
        Path err = Files.createTempFile("altitude-shell", ".err");
        try {
            Process p = new ProcessBuilder(cmd).directory(mountPoint.toFile()).redirectOutput(out.toFile())
                    .redirectError(err.toFile()).start(); // to files: a full pipe cannot stall the child or the wait
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("shell did not finish: " + script + "\nout: " + Files.readString(out) + "\nerr: "
                        + Files.readString(err) + "\nexplain: " + fltmc("filters").out());
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** SIGTERM, as an admin would stop it; the daemon unloads, unmounts and says so. */
    void stop() throws Exception {
        process.terminate();
        process.expect("altitude: unmounted");
        assertThat(process.exitCode()).isNotNegative();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.close();
        Process p = new ProcessBuilder("fusermount3", "-u", "-z", mountPoint.toString()).redirectErrorStream(true).start();
        p.waitFor(10, TimeUnit.SECONDS); // nothing to do when the daemon stopped cleanly
    }
}
