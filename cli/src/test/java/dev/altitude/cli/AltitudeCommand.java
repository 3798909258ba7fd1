package dev.altitude.cli;

import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** {@code bin/altitude} run as a second process (without its build check), its output read line by line with bounded waits. */
final class AltitudeCommand implements AutoCloseable {
    private static final long LIMIT_SECONDS = 30;
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> all = new ArrayList<>();
    private final StringBuilder err = new StringBuilder();

    private final Thread outPump;
    private final Thread errPump;

    private AltitudeCommand(Process process) {
        this.process = process;
        outPump = Thread.ofPlatform().daemon().start(() -> pump(process.getInputStream(), true));
        errPump = Thread.ofPlatform().daemon().start(() -> pump(process.getErrorStream(), false));
    }

    private void pump(java.io.InputStream in, boolean out) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (out) {
                    lines.add(line);
                } else {
                    synchronized (err) {
                        err.append(line).append('\n');
                    }
                }
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    static Path script() {
        Path p = Path.of(System.getProperty("user.dir")).getParent().resolve("bin/altitude");
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException("no " + p);
        }
        return p;
    }

    static AltitudeCommand start(String... args) throws IOException {
        return start(List.of(), args);
    }

    /** Run as the user {@code uid} (its own group, no others), through {@code setpriv}. */
    static AltitudeCommand startAs(int uid, String... args) throws IOException {
        return start(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups"), List.of(), args);
    }

    /** With more environment variables ({@code NAME=value} each). */
    static AltitudeCommand start(List<String> env, String... args) throws IOException {
        return start(List.of(), env, args);
    }

    private static AltitudeCommand start(List<String> prefix, List<String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(script().toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("ALTITUDE_NO_BUILD", "1");
        for (String e : env) {
            int eq = e.indexOf('=');
            pb.environment().put(e.substring(0, eq), e.substring(eq + 1));
        }
        return new AltitudeCommand(pb.start());
    }

    /** Lines until one that starts with {@code prefix}, which it returns. */
    String expect(String prefix) throws InterruptedException {
        while (true) {
            String line = lines.poll(LIMIT_SECONDS, TimeUnit.SECONDS);
            if (line == null) {
                fail("altitude said nothing starting with '" + prefix + "' within " + LIMIT_SECONDS + " s; it said " + all
                        + " and on stderr " + stderr());
            }
            all.add(line);
            if (line.startsWith(prefix)) {
                return line;
            }
        }
    }

    /** Waits for the exit, and for the last of its output. */
    int exitCode() throws InterruptedException {
        if (!process.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("altitude did not exit; it said " + all);
        }
        outPump.join(TimeUnit.SECONDS.toMillis(LIMIT_SECONDS)); // the streams end with the process
        errPump.join(TimeUnit.SECONDS.toMillis(LIMIT_SECONDS));
        return process.exitValue();
    }

    /** Everything on standard output (after the process ended). */
    List<String> output() throws InterruptedException {
        exitCode();
        List<String> rest = new ArrayList<>(all);
        lines.drainTo(rest);
        return rest;
    }

    String stderr() {
        synchronized (err) {
            return err.toString();
        }
    }

    /** SIGTERM (through the process handle: {@code Process.destroy} would also close our end of its output). */
    void terminate() {
        process.toHandle().destroy();
    }

    /** SIGKILL, at once. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS);
    }

    long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
