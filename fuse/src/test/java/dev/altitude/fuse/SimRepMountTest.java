package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.NtStatus;
import dev.altitude.core.UnloadMode;
import dev.altitude.test.AltitudeExtension;
import dev.altitude.test.AltitudeRig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The simRep sample through a FUSE mount: programs in the mapped tree work on the target, git among them. */
@Timeout(180)
@ExtendWith(AltitudeExtension.class)
class SimRepMountTest extends MountingTest {

    private static Bounded.Result sh(Path cwd, String script) throws Exception {
        return Bounded.run(cwd, List.of("bash", "-euc", script));
    }

    @Test
    void catLsCdRenameAndGitInsideTheMappedTreeWorkOnTheTarget(AltitudeRig rig) throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.createDirectories(source.resolve("new/sub"));
        Files.writeString(source.resolve("new/a.txt"), "the new a\n");
        Files.writeString(source.resolve("new/sub/b.txt"), "the new b\n");
        assertThat(rig.manager().loadFilter(DriverConfig.of("simrep").withParameter("from", "/old").withParameter("to", "/new")))
                .isEqualTo(NtStatus.SUCCESS);
        try (FuseMount m = FuseMount.mount(rig.manager(), "kernel", source, mnt, 2)) {
            Bounded.Result r = sh(mnt, String.join("\n",
                    "cat old/a.txt",
                    "ls old | tr '\\n' ' '; echo",
                    "cd old/sub; cat b.txt; cd ../..",
                    "mv old/a.txt old/c.txt; ls old | tr '\\n' ' '; echo",
                    "cd old",
                    "git init -q .",
                    "git add -A",
                    "git -c user.email=t@example.com -c user.name=t commit -qm first",
                    "echo changed >> c.txt",
                    "git status --porcelain",
                    "git -c user.email=t@example.com -c user.name=t commit -qam second",
                    "git status --porcelain | wc -l",
                    "git log --oneline | wc -l"));
            assertThat(r.exit()).as(r.out()).isZero();
            assertThat(r.out()).startsWith("the new a\na.txt sub \nthe new b\nc.txt sub \n")
                    .contains(" M c.txt\n").endsWith("0\n2\n");
            assertThat(source.resolve("new/.git")).as("git's own files are in the target").isDirectory();
            assertThat(source.resolve("new/c.txt")).hasContent("the new a\nchanged");
            assertThat(source.resolve("old")).doesNotExist();
            assertThat(rig.unload("simrep", UnloadMode.OPTIONAL)).isEqualTo(NtStatus.SUCCESS);
            Bounded.Result after = sh(mnt, "ls old 2>&1 || echo gone");
            assertThat(after.out()).as("no redirection after the unload").contains("gone");
        }
    }
}
