package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.FileMode;
import dev.altitude.core.FilterManager;
import dev.altitude.core.IoParameters;
import dev.altitude.core.IoParameters.FileInformation;
import dev.altitude.core.IoResult;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.PreOpStatus;
import dev.altitude.core.Principal;
import dev.altitude.nio.AltitudeFileSystem;
import dev.altitude.nio.AltitudeFileSystemProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A filter reads a change the same way whichever front end sent it: one filter on a FUSE volume and an NIO volume
 * over the same directory sees a chmod, a chown and a new modification time as the same typed parameters, and
 * reads the attributes it is asked for as the same typed result.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OneOperationModelTest extends MountingTest {

    @Test
    void aPermissionOwnerAndTimeChangeReadTheSameFromFuseAndNio() throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Files.writeString(source.resolve("viaFuse"), "f");
        Files.writeString(source.resolve("viaNio"), "n");
        Map<String, List<IoParameters>> changes = new ConcurrentHashMap<>();
        Map<String, List<IoResult>> answers = new ConcurrentHashMap<>();
        FileTime when = FileTime.fromMillis(1_234_567_000L);
        try (FilterManager manager = FilterManager.builder().verifier(true).build()) {
            TestFilters.load(manager, "watch", "370000", b -> {
                for (MajorFunction m : List.of(MajorFunction.SET_SECURITY, MajorFunction.SET_INFORMATION)) {
                    b.onPreOperation(m, (data, objects) -> {
                        if (data.fileObject().path().startsWith("/via")) {
                            changes.computeIfAbsent(data.fileObject().path(), k -> new CopyOnWriteArrayList<>())
                                    .add(data.parameters());
                        }
                        return PreOpStatus.SUCCESS_NO_CALLBACK;
                    });
                }
                return b.onPostOperation(MajorFunction.QUERY_INFORMATION, (data, objects, context, draining) -> {
                    if (data.fileObject().path().startsWith("/via") && data.status().isSuccess()) {
                        answers.computeIfAbsent(data.fileObject().path(), k -> new CopyOnWriteArrayList<>())
                                .add(data.result());
                    }
                    return PostOpStatus.FINISHED_PROCESSING;
                });
            });
            try (FuseMount mount = FuseMount.mount(manager, "fusevol", source, mnt);
                 AltitudeFileSystem nio = AltitudeFileSystemProvider.mount(manager, "niovol", source)) {
                Bounded.Result chown = Bounded.run(source, List.of("chown", "65534:65534", mnt.resolve("viaFuse").toString()));
                assertThat(chown.exit()).as(chown.out()).isZero();
                // after the chown, which clears set-group-ID on an executable
                Bounded.Result chmod = Bounded.run(source, List.of("chmod", "2750", mnt.resolve("viaFuse").toString()));
                assertThat(chmod.exit()).as(chmod.out()).isZero();
                Bounded.Result touch = Bounded.run(source, List.of("touch", "-m", "-d", "@1234567",
                        mnt.resolve("viaFuse").toString()));
                assertThat(touch.exit()).as(touch.out()).isZero();
                Bounded.Result stat = Bounded.run(source, List.of("stat", "-c", "%a %u %g %Y", mnt.resolve("viaFuse").toString()));
                assertThat(stat.out().strip()).isEqualTo("2750 65534 65534 1234567");

                Path viaNio = nio.getPath("/viaNio");
                Files.setPosixFilePermissions(viaNio, PosixFilePermissions.fromString("rwxr-x---"));
                Files.setAttribute(viaNio, "unix:uid", 65534);
                Files.setAttribute(viaNio, "unix:gid", 65534);
                Files.setLastModifiedTime(viaNio, when);
                assertThat(Files.readAttributes(viaNio, "unix:mode,uid,gid")).containsEntry("uid", 65534)
                        .containsEntry("mode", 0100750);
            }
            assertThat(manager.unloadFilter("watch")).isEqualTo(NtStatus.SUCCESS);
        }
        IoParameters.SetSecurity fuseMode = IoParameters.SetSecurity.mode(new FileMode(02750));
        IoParameters.SetSecurity nioMode = IoParameters.SetSecurity.mode(new FileMode(0750));
        assertThat(changes.get("/viaFuse")).contains(fuseMode,
                IoParameters.SetSecurity.chown(Principal.ofId(65534), Principal.ofId(65534)));
        assertThat(changes.get("/viaNio")).contains(nioMode,
                IoParameters.SetSecurity.chown(Principal.ofId(65534), null),
                IoParameters.SetSecurity.chown(null, Principal.ofId(65534)));
        // a time change: FUSE's utimensat and NIO's setLastModifiedTime are the same basic information
        for (String path : List.of("/viaFuse", "/viaNio")) {
            assertThat(changes.get(path)).filteredOn(p -> p instanceof IoParameters.SetInformation)
                    .map(p -> ((IoParameters.SetInformation) p).information())
                    .anySatisfy(i -> assertThat(i).isInstanceOfSatisfying(FileInformation.Basic.class,
                            basic -> assertThat(basic.lastWriteTime()).isEqualTo(when)));
            assertThat(answers.get(path)).as(path).isNotEmpty().allSatisfy(r -> assertThat(r)
                    .isInstanceOfSatisfying(IoResult.FileAttributes.class, a -> {
                        assertThat(a.owner().id()).isIn(0, 65534);
                        assertThat(a.mode()).isNotNull();
                    }));
        }
        assertThat(Files.getPosixFilePermissions(source.resolve("viaFuse"))).isEqualTo(
                PosixFilePermissions.fromString("rwxr-x---"));
        assertThat((Integer) Files.getAttribute(source.resolve("viaFuse"), "unix:mode") & 07777).isEqualTo(02750);
    }
}
