package dev.altitude.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a local user ({@code nobody}) can do to the host through a root daemon's mount: nothing beyond what
 * the same user could do on the source directory itself.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MountAttackTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void fuse() {
        Daemon.assumeFuse();
    }

    @Test
    void chownAndTouchOfALinkToARootFileChangeTheLinkNotTheFile() throws Exception {
        Path victim = Files.writeString(dir.resolve("victim"), "root's only");  // outside the source
        Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-------"));
        Files.setLastModifiedTime(victim, FileTime.fromMillis(1_000_000_000_000L));
        try (Daemon d = Daemon.start(dir, "--filter", "passthrough")) {
            Path pub = Files.createDirectory(d.source.resolve("pub"));
            Files.setPosixFilePermissions(pub, PosixFilePermissions.fromString("rwxrwxrwx"));
            Files.setAttribute(pub, "unix:mode", 01777);
            Daemon.Result r = d.shell("nobody", "cd pub && ln -s " + victim + " l && chown -h nobody:nogroup l && "
                    + "touch -h -d 2001-01-01 l && stat -c '%U %Y' l; chmod 666 l; chown nobody l; echo owned >> l");
            assertThat(r.out()).as(r.err()).contains("nobody 978307200");
            assertThat(Files.getAttribute(victim, "unix:uid")).isEqualTo(0);
            assertThat(Files.getPosixFilePermissions(victim)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(Files.getLastModifiedTime(victim).toMillis()).isEqualTo(1_000_000_000_000L);
            assertThat(Files.readString(victim)).isEqualTo("root's only");
            assertThat(Files.getAttribute(pub.resolve("l"), "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(65534);
            d.stop();
        }
    }

    @Test
    void aFullSourceGivesTheWriterEnospcNotEio() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/mkfs.ext4")), "no mkfs.ext4");
        Path image = dir.resolve("small.img");
        Path source = Files.createDirectories(dir.resolve("source"));
        run("truncate", "-s", "32M", image.toString());
        run("mkfs.ext4", "-q", "-F", image.toString());
        run("mount", "-o", "loop", image.toString(), source.toString());
        try (Daemon d = Daemon.start(dir, "--filter", "passthrough")) {
            Daemon.Result r = d.shell(null, "dd if=/dev/zero of=big bs=1M count=64 status=none; echo exit=$?");
            assertThat(r.err()).contains("No space left on device").doesNotContain("Input/output error");
            assertThat(r.out()).contains("exit=1");
            d.stop();
        } finally {
            run("umount", "-l", source.toString());
        }
    }

    static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish");
        }
        assertThat(p.exitValue()).as(String.join(" ", cmd)).isZero();
    }
}
