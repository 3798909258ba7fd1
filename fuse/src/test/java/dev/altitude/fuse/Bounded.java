package dev.altitude.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A child process against a mount, that cannot wedge the build: its output goes to a file (nothing reads a
 * pipe on the waiting thread), the wait is bounded, and on expiry the child is destroyed and the failure
 * carries what it printed and a dump of this JVM's threads (the mount is served in this JVM).
 */
public final class Bounded {
    public static final long LIMIT_SECONDS = 60;

    public record Result(int exit, String out) {
    }

    private Bounded() {
    }

    public static Result run(Path cwd, List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("altitude-child", ".out");
        try {
            Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(command + " did not finish within " + LIMIT_SECONDS + " s; it printed:\n"
                        + Files.readString(out) + "\nthreads of the JVM serving the mount:\n" + threadDump());
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    public static String threadDump() {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            b.append('"').append(e.getKey().getName()).append("\" ").append(e.getKey().getState()).append('\n');
            for (StackTraceElement s : e.getValue()) {
                b.append("    at ").append(s).append('\n');
            }
        }
        return b.toString();
    }
}
