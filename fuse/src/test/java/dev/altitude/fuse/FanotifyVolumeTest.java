package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.CallbackData;
import dev.altitude.core.FilterManager;
import dev.altitude.core.IoParameters;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.PreOpStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Filters on real, mounted file systems through fanotify: the processes of the machine, not this JVM, are the callers. */
@Timeout(120)
class FanotifyVolumeTest {
    @TempDir
    Path dir;

    private final FilterManager manager = FilterManager.create();
    private RealVolume real;
    private FanotifyVolume volume;

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (volume != null) {
                volume.close();
            }
            manager.close();
        } finally {
            if (real != null) {
                real.close();
            }
        }
    }

    private void watch(RealVolume.Kind kind, FanotifyVolume.Options options) throws Exception {
        real = RealVolume.make(kind, dir);
        Files.writeString(real.mountPoint.resolve("clean.txt"), "all good\n");
        Files.writeString(real.mountPoint.resolve("bad.foul"), "#!/bin/sh\necho it ran\n");
        Files.writeString(real.mountPoint.resolve("good.sh"), "#!/bin/sh\necho good ran\n");
        real.mountPoint.resolve("bad.foul").toFile().setExecutable(true, false);
        real.mountPoint.resolve("good.sh").toFile().setExecutable(true, false);
        volume = FanotifyVolume.watch(manager, "real", real.mountPoint, options);
    }

    private static boolean foul(CallbackData d) {
        return d.fileObject() != null && d.fileObject().path().endsWith(".foul");
    }

    @ParameterizedTest
    @EnumSource(RealVolume.Kind.class)
    void anOpenIsAPreCreateAnExecutionAnExecuteAccessAndADenialStopsBoth(RealVolume.Kind kind) throws Exception {
        watch(kind, FanotifyVolume.Options.DEFAULT);
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        TestFilters.load(manager, "deny", "300", b -> b.onPreOperation(MajorFunction.CREATE, (d, o) -> {
            IoParameters.Create c = d.parameters(IoParameters.Create.class);
            seen.add(d.fileObject().path() + (c.access().contains(IoParameters.Access.EXECUTE) ? " exec" : " open")
                    + " pid>0=" + (d.requestor().pid() > 0) + " uid=" + d.requestor().uid());
            if (foul(d)) {
                d.complete(NtStatus.ACCESS_DENIED, 0);
                return PreOpStatus.COMPLETE;
            }
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }));
        assertThat(volume.volume().fileSystemType()).isEqualTo("fanotify:" + switch (kind) {
            case EXT4, BIND -> "ext4";
            case XFS -> "xfs";
            case TMPFS -> "tmpfs";
        });
        Bounded.Result clean = real.sh("cat clean.txt", true);
        assertThat(clean.exit()).as(clean.out()).isZero();
        assertThat(clean.out()).isEqualTo("all good\n");
        Bounded.Result bad = real.sh("cat bad.foul", true);
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.out()).contains("Operation not permitted"); // EACCES is not an errno fanotify can answer with
        Bounded.Result run = real.sh("./good.sh && ./bad.foul", false);
        assertThat(run.out()).contains("good ran").doesNotContain("it ran");
        assertThat(run.exit()).isNotZero();
        assertThat(seen).contains("/clean.txt open pid>0=true uid=65534", "/bad.foul open pid>0=true uid=65534",
                "/good.sh exec pid>0=true uid=0", "/bad.foul exec pid>0=true uid=0");
        assertThat(volume.deniedEvents()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void aDenialCarriesTheStatusErrnoWhereTheKernelTakesItAndEpermElsewhere() throws Exception {
        watch(RealVolume.Kind.EXT4, FanotifyVolume.Options.DEFAULT);
        TestFilters.load(manager, "deny", "300", b -> b.onPreOperation(MajorFunction.CREATE, (d, o) -> {
            String p = d.fileObject().path();
            NtStatus s = p.equals("/full.foul") ? NtStatus.DISK_FULL : p.equals("/gone.foul") ? NtStatus.OBJECT_NAME_NOT_FOUND
                    : p.equals("/busy.foul") ? NtStatus.SHARING_VIOLATION : null;
            if (s == null) {
                return PreOpStatus.SUCCESS_NO_CALLBACK;
            }
            d.complete(s, 0);
            return PreOpStatus.COMPLETE;
        }));
        for (String f : List.of("full.foul", "gone.foul", "busy.foul")) {
            Files.writeString(real.mountPoint.resolve(f), "x"); // this JVM's own opens pass at once
        }
        assertThat(real.sh("cat full.foul", false).out()).contains("No space left on device");
        assertThat(real.sh("cat busy.foul", false).out()).contains("Device or resource busy");
        assertThat(real.sh("cat gone.foul", false).out()).contains("Operation not permitted"); // ENOENT: not taken
    }

    @Test
    void aReadIsAPreReadOfTheKernelsRange() throws Exception {
        watch(RealVolume.Kind.EXT4, FanotifyVolume.Options.DEFAULT);
        Files.write(real.mountPoint.resolve("data.bin"), new byte[3 * 4096]);
        List<String> reads = Collections.synchronizedList(new ArrayList<>());
        TestFilters.load(manager, "reads", "300", b -> b.onPreOperation(MajorFunction.READ, (d, o) -> {
            IoParameters.Read r = d.parameters(IoParameters.Read.class);
            if (d.fileObject().path().equals("/data.bin")) {
                reads.add(r.offset() + "+" + r.buffer().remaining());
            }
            if (d.fileObject().path().equals("/secret.bin")) {
                d.complete(NtStatus.UNEXPECTED_IO_ERROR, 0);
                return PreOpStatus.COMPLETE;
            }
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }));
        Files.write(real.mountPoint.resolve("secret.bin"), new byte[100]);
        Bounded.Result dd = real.sh("dd if=data.bin of=/dev/null bs=4096 skip=2 count=1 2>&1", false);
        assertThat(dd.exit()).as(dd.out()).isZero();
        assertThat(reads).contains("8192+4096");
        Bounded.Result secret = real.sh("cat secret.bin", false);
        assertThat(secret.exit()).isNotZero();
        assertThat(secret.out()).contains("Input/output error"); // the open passed; the read got the status's errno
    }

    @Test
    void aPreCreateThatHangsIsAnsweredAtTheBoundWithThePolicyAndTheReportNamesIt() throws Exception {
        watch(RealVolume.Kind.EXT4, new FanotifyVolume.Options(FanotifyVolume.Scope.FILESYSTEM, Duration.ofMillis(400),
                FanotifyVolume.OnExpiry.DENY));
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        TestFilters.load(manager, "hang", "300", b -> b.onPreOperation(MajorFunction.CREATE, (d, o) -> {
            if (d.fileObject().path().equals("/hang.txt")) {
                entered.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }));
        Files.writeString(real.mountPoint.resolve("hang.txt"), "x");
        try {
            Bounded.Result r = real.sh("cat hang.txt; echo next; cat clean.txt", false);
            assertThat(entered.getCount()).isZero();
            assertThat(r.out()).contains("Operation not permitted").contains("next\nall good"); // others go on meanwhile
            assertThat(volume.expiredAnswers()).isEqualTo(1);
            assertThat(manager.explain("hang").orElseThrow().toText()).contains("CREATE /hang.txt (pid ")
                    .contains("pre-operation running");
            assertThat(volume.volume().frontEndNotes()).anySatisfy(n -> assertThat(n).startsWith("answered at the bound: open of /hang.txt"));
        } finally {
            release.countDown();
        }
    }

    @Test
    void changesArrivePostOperationsOnceEachWithTheirNames() throws Exception {
        watch(RealVolume.Kind.EXT4, FanotifyVolume.Options.DEFAULT);
        List<String> posts = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch deleted = new CountDownLatch(2);
        TestFilters.load(manager, "posts", "300", b -> b
                .onPostOperation(MajorFunction.CREATE, (d, o, c, dr) -> {
                    IoParameters.Create cr = d.parameters(IoParameters.Create.class);
                    if (cr.disposition() == IoParameters.CreateDisposition.CREATE) {
                        posts.add("create " + d.fileObject().path() + " " + cr.kind());
                    }
                    return PostOpStatus.FINISHED_PROCESSING;
                })
                .onPostOperation(MajorFunction.CLEANUP, (d, o, c, dr) -> {
                    posts.add("close after write " + d.fileObject().path());
                    return PostOpStatus.FINISHED_PROCESSING;
                })
                .onPostOperation(MajorFunction.SET_INFORMATION, (d, o, c, dr) -> {
                    switch (d.parameters(IoParameters.SetInformation.class).information()) {
                        case IoParameters.FileInformation.Rename r -> posts.add("rename " + d.fileObject().path() + " -> " + r.target());
                        case IoParameters.FileInformation.Disposition x -> {
                            posts.add("delete " + d.fileObject().path());
                            deleted.countDown();
                        }
                        default -> { }
                    }
                    return PostOpStatus.FINISHED_PROCESSING;
                }));
        Bounded.Result r = real.sh("mkdir sub && echo x > sub/new.txt && mv sub/new.txt moved.txt && rm moved.txt && rmdir sub", false);
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(deleted.await(30, TimeUnit.SECONDS)).as("deletes reported: %s; %s", posts, volume.volume().frontEndNotes()).isTrue();
        assertThat(posts).containsExactly("create /sub DIRECTORY", "create /sub/new.txt FILE", "close after write /sub/new.txt",
                "rename /sub/new.txt -> /moved.txt", "delete /moved.txt", "delete /sub");
    }
}
