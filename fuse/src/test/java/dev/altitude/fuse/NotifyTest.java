package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.FilterManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Two mounts of one source in one daemon, the kernel caching names and attributes for an hour: what changes through
 * one reaches the other's kernel as NOTIFY_INVAL_INODE / NOTIFY_INVAL_ENTRY, so the other sees it at once, not after
 * the hour. No polling: the test waits for b's notifications to be written, then looks once.
 */
class NotifyTest extends MountingTest {

    private static String sh(Path cwd, String script) throws Exception {
        return Bounded.run(cwd, List.of("bash", "-c", script)).out().strip();
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
            // a's requests queued their notifications for b before a answered them; b has written them all
            assertThat(mb.awaitNotified(30_000)).isTrue();
            assertThat(sh(b, "cat f")).isEqualTo("one two");
            assertThat(sh(b, "stat -c %s f")).as("the size b's kernel had is dropped").isEqualTo("7");
            assertThat(sh(b, "stat -c %n g 2>&1 | grep -c 'No such file'")).isEqualTo("1");
            assertThat(sh(b, "stat -c %n h k 2>/dev/null")).isEqualTo("k");
        }
    }
}
