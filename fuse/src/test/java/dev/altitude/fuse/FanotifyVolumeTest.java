package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;


import dev.altitude.core.CallbackData;
import dev.altitude.core.FilterManager;
import dev.altitude.core.IoParameters;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.PreOpStatus;
import dev.altitude.test.AltitudeExtension;
import dev.altitude.test.AltitudeRig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Filters on real, mounted file systems through fanotify: the processes of the machine, not this JVM, are the callers. */
@Timeout(120)
@ExtendWith(AltitudeExtension.class)
class FanotifyVolumeTest {
    @TempDir
    Path dir;

    /** The test kit's verifying manager: after each test it unloads what is loaded and fails on what a filter broke. */
    private FilterManager manager;
    private RealVolume real;
    private FanotifyVolume volume;

    @BeforeEach
    void rig(AltitudeRig rig) {
        manager = rig.manager();
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (volume != null) {
                volume.close();
            }
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
        CountDownLatch scriptDone = new CountDownLatch(1);
        TestFilters.load(manager, "posts", "300", b -> b
                .onPostOperation(MajorFunction.CREATE, (d, o, c, dr) -> {
                    IoParameters.Create cr = d.parameters(IoParameters.Create.class);
                    if (cr.disposition() == IoParameters.CreateDisposition.CREATE) {
                        posts.add("create " + d.fileObject().path() + " " + cr.kind());
                        if (d.fileObject().path().equals("/sub")) {
                            // the rest is read only once /sub is gone: its entries are still named under it
                            try {
                                scriptDone.await(30, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
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
        Bounded.Result r;
        try {
            r = real.sh("mkdir sub && echo x > sub/new.txt && mv sub/new.txt moved.txt && rm moved.txt && rmdir sub", false);
        } finally {
            scriptDone.countDown();
        }
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(deleted.await(30, TimeUnit.SECONDS)).as("deletes reported: %s; %s", posts, volume.volume().frontEndNotes()).isTrue();
        assertThat(posts).containsExactly("create /sub DIRECTORY", "create /sub/new.txt FILE", "close after write /sub/new.txt",
                "rename /sub/new.txt -> /moved.txt", "delete /moved.txt", "delete /sub");
    }

    @Test
    void unloadingWhileEventsArePendingAnswersThemAllAndNoCallbackRunsAfterUnregister() throws Exception {
        watch(RealVolume.Kind.EXT4, FanotifyVolume.Options.DEFAULT);
        Files.writeString(real.mountPoint.resolve("wait.txt"), "waited\n");
        CountDownLatch verdict = new CountDownLatch(1); // the user-mode answer that never comes
        CountDownLatch waiting = new CountDownLatch(2);
        java.util.concurrent.atomic.AtomicBoolean unregistered = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger late = new java.util.concurrent.atomic.AtomicInteger();
        TestFilters.load(manager, "waiter", "300", b -> b.onPreOperation(MajorFunction.CREATE, (d, o) -> {
            if (unregistered.get()) {
                late.incrementAndGet();
            }
            if (d.fileObject().path().equals("/wait.txt")) {
                waiting.countDown();
                try {
                    verdict.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }).onPostOperation(MajorFunction.CLEANUP, (d, o, c, dr) -> {
            if (unregistered.get()) {
                late.incrementAndGet();
            }
            return PostOpStatus.FINISHED_PROCESSING;
        }).onInstanceTeardownStart((o, reason) -> verdict.countDown())); // as the scanner's closed port ends its waits
        List<Process> cats = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            cats.add(new ProcessBuilder("cat", real.mountPoint.resolve("wait.txt").toString()).redirectErrorStream(true).start());
        }
        try {
            assertThat(waiting.await(30, TimeUnit.SECONDS)).as("both opens reached the filter").isTrue();
            assertThat(volume.pendingEvents()).hasSize(2).allSatisfy(p -> assertThat(p).startsWith("open of /wait.txt by pid "));
            assertThat(manager.explain("waiter").orElseThrow().holders(dev.altitude.core.HolderKind.RUNNING_CALLBACK))
                    .hasSize(2).allSatisfy(e -> assertThat(e.detail()).startsWith("CREATE /wait.txt (pid "));
            assertThat(manager.unloadFilter("waiter")).isEqualTo(NtStatus.SUCCESS);
            unregistered.set(true);
            for (Process c : cats) {
                assertThat(c.waitFor(30, TimeUnit.SECONDS)).as("no process stays blocked").isTrue();
                assertThat(new String(c.getInputStream().readAllBytes())).isEqualTo("waited\n");
                assertThat(c.exitValue()).isZero();
            }
            assertThat(real.sh("cat wait.txt clean.txt", false).out()).isEqualTo("waited\nall good\n");
            assertThat(volume.pendingEvents()).isEmpty();
            assertThat(late.get()).isZero();
            assertThat(volume.expiredAnswers()).isZero();
        } finally {
            verdict.countDown();
            cats.forEach(Process::destroyForcibly);
        }
    }

    @Test
    void aFioJobOnTheVolumeFinishesWithoutAnErrorThroughAHundredLoadAndUnloadCycles() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/fio")), "fio is not installed");
        watch(RealVolume.Kind.EXT4, FanotifyVolume.Options.DEFAULT);
        java.util.concurrent.atomic.AtomicLong seen = new java.util.concurrent.atomic.AtomicLong();
        manager.registerDriver("pass", () -> new dev.altitude.core.FilterDriver() {
            dev.altitude.core.Filter f;

            @Override
            public NtStatus driverEntry(FilterManager m, dev.altitude.core.DriverConfig config) {
                var b = dev.altitude.core.FilterRegistration.builder("pass").altitude("300");
                for (MajorFunction mf : List.of(MajorFunction.CREATE, MajorFunction.READ, MajorFunction.WRITE,
                        MajorFunction.CLEANUP, MajorFunction.CLOSE)) {
                    b.onOperation(mf, (d, o) -> {
                        seen.incrementAndGet();
                        return PreOpStatus.SUCCESS_WITH_CALLBACK;
                    }, (d, o, c, dr) -> PostOpStatus.FINISHED_PROCESSING);
                }
                f = m.registerFilter(b.onUnload(flags -> {
                    f.unregister();
                    return NtStatus.SUCCESS;
                }).build());
                return f.startFiltering();
            }
        });
        Path out = dir.resolve("fio.out");
        Process fio = new ProcessBuilder("fio", "--name=load", "--directory=" + real.mountPoint, "--rw=randrw", "--bs=4k",
                "--size=4m", "--io_size=256m", "--numjobs=2", "--ioengine=psync", "--verify=crc32c",
                "--verify_state_save=0", "--group_reporting").redirectErrorStream(true).redirectOutput(out.toFile()).start();
        int cycles = 0;
        try {
            long before = volume.permissionEvents();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); // a hang guard only
            while (volume.permissionEvents() - before < 500 && fio.isAlive()) { // past the lay-out: its reads are events
                assertThat(System.nanoTime()).as("fio's I/O reaches the volume").isLessThan(deadline);
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            for (; cycles < 100 && fio.isAlive(); cycles++) {
                assertThat(manager.loadFilter("pass")).isEqualTo(NtStatus.SUCCESS);
                long at = volume.permissionEvents();
                while (volume.permissionEvents() - at < 5 && fio.isAlive()) { // some of fio's events with the filter in
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                }
                assertThat(manager.unloadFilter("pass")).isEqualTo(NtStatus.SUCCESS);
            }
            assertThat(fio.waitFor(120, TimeUnit.SECONDS)).as("fio finishes").isTrue();
        } finally {
            fio.destroyForcibly();
        }
        String report = Files.readString(out);
        System.out.println("fanotify under fio: " + cycles + " load/unload cycles, " + volume.permissionEvents()
                + " permission events, " + seen.get() + " callbacks of the loaded filter, " + volume.expiredAnswers()
                + " answered at the bound");
        assertThat(cycles).as("cycles while fio ran: %s", report).isEqualTo(100);
        assertThat(fio.exitValue()).as(report).isZero();
        assertThat(report).contains("err= 0").doesNotContain("verify failed").doesNotContain("fio: pid");
        assertThat(seen.get()).isPositive();
        assertThat(volume.expiredAnswers()).isZero();
        assertThat(volume.pendingEvents()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(value = RealVolume.Kind.class, names = {"EXT4", "XFS"})
    void hydrateFillsAPlaceholderFromTheStoreBeforeTheReadGoesOn(RealVolume.Kind kind) throws Exception {
        watch(kind, FanotifyVolume.Options.DEFAULT);
        Path store = Files.createDirectories(dir.resolve("store"));
        Files.writeString(store.resolve("doc.txt"), "the whole document\n");
        Files.createDirectories(store.resolve("deep"));
        Files.writeString(store.resolve("deep/notes.txt"), "deep notes\n");
        Files.writeString(real.mountPoint.resolve("doc.txt"), "");
        Files.createDirectories(real.mountPoint.resolve("deep"));
        Files.writeString(real.mountPoint.resolve("deep/notes.txt"), "");
        Files.writeString(real.mountPoint.resolve("local.txt"), "");
        assertThat(volume.volume().capabilities().fillsContent()).isTrue();
        assertThat(manager.loadFilter(dev.altitude.core.DriverConfig.parse("hydrate:store=" + store))).isEqualTo(NtStatus.SUCCESS);
        assertThat(volume.volume().instances()).extracting(i -> i.filter().name()).containsExactly("hydrate");
        Bounded.Result r = real.sh("cat doc.txt deep/notes.txt local.txt; wc -c < doc.txt", true);
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out()).isEqualTo("the whole document\ndeep notes\n19\n");
        assertThat(real.sh("cat doc.txt", false).out()).as("filled once, read as it is after").isEqualTo("the whole document\n");
    }

    /** avscan on a real ext4: each open's event descriptor is lent to the engine (a client over the port's socket). */
    @Test
    void avscanScansEachOpenThroughTheEventsOwnDescriptor() throws Exception {
        watch(RealVolume.Kind.EXT4, FanotifyVolume.Options.DEFAULT);
        Files.write(real.mountPoint.resolve("eicar.com"), dev.altitude.samples.avscan.AvScanMessages.eicar());
        assertThat(manager.loadFilter(dev.altitude.core.DriverConfig.of("avscan"))).isEqualTo(NtStatus.SUCCESS);
        java.io.ByteArrayOutputStream said = new java.io.ByteArrayOutputStream();
        dev.altitude.core.FilterClient port = dev.altitude.core.FilterClient.connect(manager.portDirectory().orElseThrow(),
                dev.altitude.samples.avscan.AvScanMessages.PORT, new byte[0]);
        var client = new dev.altitude.samples.avscan.AvScanClient(port, new java.io.PrintStream(said, true));
        Thread engine = Thread.ofPlatform().daemon().start(() -> {
            try {
                client.run(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Bounded.Result r = real.sh("cat clean.txt; cat eicar.com > /dev/null 2>&1 && echo opened || echo refused", true);
        assertThat(r.out()).isEqualTo("all good\nrefused\n");
        assertThat(said.toString()).contains("scan open /clean.txt: clean", "scan open /eicar.com: infected");
        assertThat(manager.unloadFilter("avscan")).isEqualTo(NtStatus.SUCCESS);
        engine.join(60_000);
        assertThat(engine.isAlive()).isFalse();
        assertThat(real.sh("cat eicar.com | wc -c", true).out().strip()).isEqualTo("68");
    }

    @Test
    void aTmpfsHasNoPreContentEventsSoReadsAreAccessChecksAndHydrateRefusesIt() throws Exception {
        watch(RealVolume.Kind.TMPFS, FanotifyVolume.Options.DEFAULT);
        assertThat(volume.volume().capabilities().fillsContent()).isFalse();
        assertThat(volume.volume().frontEndNotes().getFirst()).contains("access checks");
        Path store = Files.createDirectories(dir.resolve("store"));
        assertThat(manager.loadFilter(dev.altitude.core.DriverConfig.parse("hydrate:store=" + store))).isEqualTo(NtStatus.SUCCESS);
        assertThat(volume.volume().instances()).isEmpty(); // its instance setup refused the volume
        List<String> reads = Collections.synchronizedList(new ArrayList<>());
        TestFilters.load(manager, "reads", "300", b -> b.onPreOperation(MajorFunction.READ, (d, o) -> {
            reads.add(d.fileObject().path() + " " + d.parameters(IoParameters.Read.class).buffer().remaining());
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }));
        assertThat(real.sh("cat clean.txt", false).out()).isEqualTo("all good\n");
        assertThat(reads).contains("/clean.txt 0"); // FAN_ACCESS_PERM gives no range
    }

    @Test
    void closingWakesEveryReaderAndLeavesNoThreadAndTheVolumeDismounted() throws Exception {
        watch(RealVolume.Kind.EXT4, FanotifyVolume.Options.DEFAULT);
        TestFilters.load(manager, "pass", "300", b -> b.onPreOperation(MajorFunction.CREATE, (d, o) -> PreOpStatus.SUCCESS_NO_CALLBACK));
        assertThat(real.sh("cat clean.txt", false).out()).isEqualTo("all good\n");
        volume.close();
        assertThat(Thread.getAllStackTraces().keySet()).noneSatisfy(t -> assertThat(t.getName()).startsWith("altitude-fanotify"));
        assertThat(manager.volume("real")).isEmpty();
        assertThat(real.sh("cat clean.txt", false).out()).as("nothing listens any more").isEqualTo("all good\n");
        volume = null;
    }
}
