package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.FilterManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two mounts of one source in one daemon, the kernel caching names and attributes for an hour: what changes through
 * one reaches the other's kernel as NOTIFY_INVAL_INODE / NOTIFY_INVAL_ENTRY, so the other sees it at once, not after
 * the hour.
 */
class NotifyTest extends MountingTest {

    private static String sh(Path cwd, String script) throws Exception {
        return Bounded.run(cwd, List.of("bash", "-c", script)).out().strip();
    }

    /** Runs {@code script} in {@code cwd} until it prints {@code expected} (the notification is sent on its own thread). */
    private static String until(Path cwd, String script, String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String out;
        do {
            out = sh(cwd, script);
        } while (!out.equals(expected) && System.nanoTime() < deadline);
        return out;
    }

    @Test
    void aChangeThroughOneMountIsSeenThroughTheOtherAtOnce() throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Path a = Files.createDirectory(dir.resolve("a"));
        Path b = Files.createDirectory(dir.resolve("b"));
        try (FilterManager manager = FilterManager.create();
             FuseMount ma = FuseMount.mount(manager, "a", source, a, 2, 3600);
             FuseMount mb = FuseMount.mount(manager, "b", source, b, 2, 3600)) {
            sh(a, "printf one > f; printf x > g; printf y > h");
            assertThat(sh(b, "cat f; echo; stat -c %s f; stat -c %n g h")).isEqualTo("one\n3\ng\nh"); // b's kernel caches all
            sh(a, "printf ' two' >> f; rm g; mv h k");
            assertThat(until(b, "cat f", "one two")).isEqualTo("one two");
            assertThat(until(b, "stat -c %s f", "7")).as("the size b's kernel had is dropped").isEqualTo("7");
            assertThat(until(b, "stat -c %n g 2>&1 | grep -c 'No such file'", "1")).isEqualTo("1");
            assertThat(until(b, "stat -c %n h k 2>/dev/null", "k")).isEqualTo("k");
        }
    }
}
