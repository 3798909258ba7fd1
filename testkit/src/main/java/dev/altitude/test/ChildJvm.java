package dev.altitude.test;

import dev.altitude.core.FilterManager;
import dev.altitude.core.HolderKind;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The user-mode side of a filter in a second JVM: your client's {@code main}, on this JVM's class path, whose
 * output (stdout and stderr together) a thread of its own reads line by line. Every wait is bounded; a failed
 * one says what the child printed. It can be killed at a point of its own ({@link Builder#killAt}, with
 * {@link KillPoints} in its code) or from here ({@link #kill()}, {@link #killWhileMessageWaits}).
 *
 * <pre>{@code
 * try (ChildJvm client = ChildJvm.of(MyClient.class, rig.portDirectory().toString()).killAt("replied", 3).start()) {
 *     client.awaitLine("connected");
 *     ... I/O that makes the filter send messages ...
 *     client.awaitExit(Duration.ofSeconds(30));           // 137: it died right after its third reply
 * }
 * }</pre>
 */
public final class ChildJvm implements AutoCloseable {
    /** The longest any wait of this class takes by default: a bound for a hang. */
    public static final Duration LIMIT = Duration.ofSeconds(60);

    /** Put after the child's last line: a wait for a line it will never print ends there. */
    private static final String END = new String("(end of output)");

    private final Process process;
    private final BlockingQueue<String> unread = new LinkedBlockingQueue<>();
    private final List<String> output = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private ChildJvm(Process process) {
        this.process = process;
        this.reader = Thread.ofPlatform().daemon().name("altitude-child-" + process.pid()).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    output.add(line);
                    unread.add(line);
                }
            } catch (IOException e) {
                output.add("(output ended: " + e + ")");
            } finally {
                unread.add(END);
            }
        });
    }

    /** A child running {@code main} with {@code args}. */
    public static Builder of(Class<?> main, String... args) {
        return new Builder(main, List.of(args));
    }

    /** How to start a child. */
    public static final class Builder {
        private final Class<?> main;
        private final List<String> args;
        private final List<String> prefix = new ArrayList<>();
        private final List<String> jvm = new ArrayList<>();
        private final List<String> kills = new ArrayList<>();

        private Builder(Class<?> main, List<String> args) {
            this.main = main;
            this.args = args;
        }

        /** The child halts the {@code occurrence}-th time it calls {@link KillPoints#reached}({@code point}). */
        public Builder killAt(String point, int occurrence) {
            if (occurrence <= 0 || point.contains(",") || point.contains(":")) {
                throw new IllegalArgumentException("kill point " + point + " #" + occurrence);
            }
            kills.add(point + ":" + occurrence);
            return this;
        }

        /** A command before {@code java} ({@code setpriv --reuid=65534 …} to run it as another user). */
        public Builder prefix(String... command) {
            prefix.addAll(List.of(command));
            return this;
        }

        /** An option of the child's JVM ({@code -Xmx64m}, {@code -Dkey=value}). */
        public Builder jvmOption(String option) {
            jvm.add(option);
            return this;
        }

        public ChildJvm start() {
            List<String> cmd = new ArrayList<>(prefix);
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add("-XX:TieredStopAtLevel=1");
            cmd.addAll(jvm);
            if (!kills.isEmpty()) {
                cmd.add("-D" + KillPoints.PROPERTY + "=" + String.join(",", kills));
            }
            cmd.add(main.getName());
            cmd.addAll(args);
            try {
                return new ChildJvm(new ProcessBuilder(cmd).redirectErrorStream(true).start());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public long pid() {
        return process.pid();
    }

    /** The next line not read yet that starts with {@code prefix} (earlier ones are skipped); waits at most {@link #LIMIT}. */
    public String awaitLine(String prefix) {
        return awaitLine(prefix, LIMIT);
    }

    public String awaitLine(String prefix, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        try {
            while (true) {
                String line = unread.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw failure("no line starting with '" + prefix + "' within " + limit.toMillis() + " ms");
                }
                if (line == END) {
                    unread.add(END);
                    boolean exited = process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    throw failure("its output ended (" + (exited ? "it exited with " + process.exitValue() : "it closed its output")
                            + ") without a line starting with '" + prefix + "'");
                }
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure("interrupted waiting for '" + prefix + "'");
        }
    }

    /** Everything the child printed so far. */
    public List<String> output() {
        return List.copyOf(output);
    }

    /** kill -9, now. */
    public void kill() {
        process.destroyForcibly();
    }

    /** Kills the child once {@code condition} holds (checked until {@code limit}, then a failure). */
    public void killWhen(BooleanSupplier condition, Duration limit) {
        Poll.until(() -> condition.getAsBoolean() || !process.isAlive(), limit,
                () -> failure("the kill condition did not come within " + limit.toMillis() + " ms"));
        if (!condition.getAsBoolean()) {
            throw failure("the child ended before the kill condition came");
        }
        kill();
    }

    /**
     * Kills the child while a thread of {@code filter} waits for its reply to a message (a {@link HolderKind#BLOCKED_SENDER}
     * in the filter's report).
     */
    public void killWhileMessageWaits(FilterManager manager, String filter) {
        killWhen(() -> manager.explain(filter).map(r -> !r.holders(HolderKind.BLOCKED_SENDER).isEmpty()).orElse(false),
                LIMIT);
    }

    /** Waits for the child to end (at most {@code limit}); its exit status. */
    public int awaitExit(Duration limit) {
        try {
            if (!process.waitFor(limit.toNanos(), TimeUnit.NANOSECONDS)) {
                throw failure("the child did not exit within " + limit.toMillis() + " ms");
            }
            reader.join(limit);
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure("interrupted waiting for the child");
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    private AssertionError failure(String what) {
        return new AssertionError("child JVM " + process.pid() + ": " + what + "; it printed:\n  "
                + String.join("\n  ", output));
    }

    /** Kills the child if it still runs, and waits for it (bounded). */
    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(LIMIT.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
