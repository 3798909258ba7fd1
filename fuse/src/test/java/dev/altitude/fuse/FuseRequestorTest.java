package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.FilterManager;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.PreOpStatus;
import dev.altitude.core.Requestor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A filter on a FUSE volume sees who asks: the process id, user and group of the caller. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FuseRequestorTest extends MountingTest {

    @Test
    void theCallersPidUidAndGidAreOnTheOperationAndNewFilesAreTheirs() throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Files.writeString(source.resolve("f"), "data");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rwxrwxrwx"));
        List<Requestor> opens = new CopyOnWriteArrayList<>();
        try (FilterManager manager = FilterManager.builder().verifier(true).build()) {
            TestFilters.load(manager, "who", "370000", b -> b.onPreOperation(MajorFunction.CREATE, (data, objects) -> {
                if (data.fileObject().path().equals("/f")) {
                    opens.add(data.requestor());
                }
                return PreOpStatus.SUCCESS_NO_CALLBACK;
            }));
            try (FuseMount mount = FuseMount.mount(manager, "who", source, mnt)) {
                // the child's pid, as it reads the file: bash execs cat in its own process after saying it
                Bounded.Result cat = Bounded.run(source, java.util.List.of("setpriv", "--reuid", "nobody", "--regid", "nogroup",
                        "--clear-groups", "bash", "-c", "echo $$; exec cat " + mnt.resolve("f")));
                assertThat(cat.exit()).isZero();
                long catPid = Long.parseLong(cat.out().lines().findFirst().orElseThrow().strip());
                assertThat(cat.out().lines().skip(1).findFirst()).contains("data");
                assertThat(opens).isNotEmpty().allSatisfy(r -> {
                    assertThat(r.pid()).isEqualTo(catPid);
                    assertThat(r.uid()).isEqualTo(65534);
                    assertThat(r.gid()).isEqualTo(65534);
                });
                assertThat(Bounded.run(source, java.util.List.of("setpriv", "--reuid", "nobody", "--regid", "nogroup",
                        "--clear-groups", "touch", mnt.resolve("made-by-nobody").toString())).exit()).isZero();
                assertThat(Files.getOwner(source.resolve("made-by-nobody")).getName()).isEqualTo("nobody");
            }
        }
    }
}
