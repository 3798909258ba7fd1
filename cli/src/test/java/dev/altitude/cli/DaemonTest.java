package dev.altitude.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.altitude.core.FilterClient;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import dev.altitude.samples.cdo.Cdo;
import dev.altitude.samples.scanner.ScannerClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code altitude mount} as a daemon process over a FUSE mount, and {@code altitude fltmc} against it, end
 * to end. Every test is bounded in time; the mount is removed whatever happens.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DaemonTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void fuse() {
        Daemon.assumeFuse();
    }

    /** A file another process holds open in kernel passthrough is listed by {@code fltmc volumes} until it closes. */
    @Test
    void fltmcVolumesListsAFileOpenPastTheFilters() throws Exception {
        try (Daemon d = Daemon.start(dir)) {
            Files.writeString(d.mountPoint.resolve("held"), "data");
            Process holder = new ProcessBuilder("python3", "-c",
                    "import sys; f = open(sys.argv[1]); print('open', flush=True); sys.stdin.read()",
                    d.mountPoint.resolve("held").toString()).redirectErrorStream(true).start();
            try {
                var said = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream())).readLine();
                    } catch (java.io.IOException e) {
                        return e.toString();
                    }
                });
                assertThat(said.get(30, TimeUnit.SECONDS)).isEqualTo("open");
                Daemon.Result volumes = d.fltmc("volumes");
                assertThat(volumes.exit()).isZero();
                assertThat(volumes.out()).contains("Open past filters")
                        .contains("/held: kernel passthrough, no read or write reaches a filter");
                assertThat(d.fltmc("volumes", "--json").out())
                        .contains("\"openPastFilters\":[\"/held: kernel passthrough, no read or write reaches a filter\"]");
            } finally {
                holder.getOutputStream().close();
                if (!holder.waitFor(30, TimeUnit.SECONDS)) {
                    holder.destroyForcibly();
                }
            }
        }
    }

    @Test
    void fltmcListsLoadsAttachesDetachesAndShowsStatusesAsFltmcDoes() throws Exception {
        Path second = java.nio.file.Files.createDirectories(dir.resolve("source2"));
        Path secondMount = dir.resolve("mnt2");
        try (Daemon d = Daemon.start(dir, "--filter", "cdo", "--filter", "minispy@370001", "--also", second + "=" + secondMount)) {
            Daemon.Result filters = d.fltmc("filters");
            assertThat(filters.exit()).isZero();
            assertThat(filters.out()).startsWith("Filter Name                     Num Instances      Altitude  Frame")
                    .contains("cdo                                         2        370080      0",
                            "minispy                                     0        370001      0");
            assertThat(d.fltmc("filters", "--json").out().lines())
                    .contains("{\"filter\":\"minispy\",\"instances\":0,\"altitude\":\"370001\",\"frame\":0,\"state\":\"FILTERING\",\"callbackFailures\":0}");
            String volume = d.mountPoint.toString();
            String type = "posix:" + Files.getFileStore(dir).type();
            assertThat(d.fltmc("volumes", "--json").out().lines()).containsExactlyInAnyOrder(
                    "{\"volume\":" + Fltmc.json(volume) + ",\"fileSystemType\":\"" + type + "\",\"instances\":1,\"openPastFilters\":[],\"notes\":[]}",
                    "{\"volume\":" + Fltmc.json(secondMount.toString()) + ",\"fileSystemType\":\"" + type
                            + "\",\"instances\":1,\"openPastFilters\":[],\"notes\":[]}");
            Files.writeString(secondMount.resolve("two.txt"), "through the second volume");
            assertThat(Files.readString(second.resolve("two.txt"))).isEqualTo("through the second volume");
            assertThat(d.fltmc("attach", "minispy", volume, "-i", "spy").out()).isEqualTo(
                    "attached spy of minispy to " + volume + " at 370001");
            assertThat(d.fltmc("instances").out()).contains("minispy               " + volume);
            assertThat(d.fltmc("detach", "minispy", volume, "spy").exit()).isZero();
            assertThat(d.fltmc("instances", "--json").out()).doesNotContain("minispy");

            Daemon.Result missing = d.fltmc("load", "nope");
            assertThat(missing.exit()).isEqualTo(1);
            assertThat(missing.err().strip()).isEqualTo("load nope: STATUS_OBJECT_NAME_NOT_FOUND (0xD0000034)"); // HRESULT_FROM_NT
            assertThat(d.fltmc("detach", "minispy", volume).err().strip())
                    .isEqualTo("detach minispy from " + volume + ": STATUS_FLT_INSTANCE_NOT_FOUND (0x801F0015)");

            // cdo: a control handle held by another process (this one) makes an optional unload refuse
            try (FilterClient handle = FilterClient.connect(d.runDir.resolve("ports"), Cdo.PORT, new byte[0])) {
                assertThat(Cdo.of(handle).request()).isEqualTo("cdo FILTERING");
                Daemon.Result refused = d.fltmc("unload", "cdo");
                assertThat(refused.exit()).isEqualTo(1);
                assertThat(refused.err().strip()).isEqualTo("unload cdo: STATUS_FLT_DO_NOT_DETACH (0x801F0010)");
                assertThat(d.fltmc("filters").out()).contains("cdo ");
                assertThat(d.fltmc("unload", "cdo", "--mandatory").exit()).isZero();
                assertThatThrownBy(() -> Cdo.of(handle).request()).isInstanceOfSatisfying(NtStatusException.class,
                        e -> assertThat(e.status()).isEqualTo(NtStatus.PORT_DISCONNECTED));
            }
            assertThat(d.fltmc("filters").out()).doesNotContain("cdo ");

            // misuse is exit code 2, before anything reaches the daemon
            assertThat(d.fltmc().exit()).isEqualTo(2);
            assertThat(d.fltmc("unload").exit()).isEqualTo(2);
            Daemon.Result badTimeout = d.fltmc("unload", "minispy", "--timeout", "soon");
            assertThat(badTimeout.exit()).isEqualTo(2);
            assertThat(badTimeout.err()).contains("bad duration 'soon'").doesNotContain("\tat ");
            d.stop();
        } finally {
            new ProcessBuilder("fusermount3", "-u", "-z", secondMount.toString()).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void explainNamesWhatAFilterHoldsAndAnUnloadReleasesIt() throws Exception {
        try (Daemon d = Daemon.start(dir)) {
            Files.writeString(d.source.resolve("slow.txt"), "worth the wait");
            assertThat(d.fltmc("load", "cancelsafe").exit()).isZero(); // pends every read for 15 s
            Process reader = new ProcessBuilder("cat", d.mountPoint.resolve("slow.txt").toString()).start();
            String report = "";
            for (int i = 0; i < 200 && !report.contains("PENDED_PRE_OPERATION"); i++) {
                report = d.fltmc("explain", "cancelsafe").out(); // until the read is parked
            }
            assertThat(report).startsWith("filter 'cancelsafe' is FILTERING")
                    .contains("PENDED_PRE_OPERATION on instance 'cancelsafe Instance' of " + d.mountPoint
                            + ": READ /slow.txt (pid " + reader.pid() + ") pended in the pre-operation");
            long t0 = System.nanoTime();
            assertThat(d.fltmc("unload", "cancelsafe").exit()).isZero();
            assertThat(reader.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(new String(reader.getInputStream().readAllBytes())).isEqualTo("worth the wait");
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).as("not the 15 s delay").isLessThan(10);
            d.stop();
        }
    }

    @Test
    void theScannerDecidesForEveryProcessAndItsClientExitsWhenItUnloads() throws Exception {
        try (Daemon d = Daemon.start(dir, "--filter", "scanner")) {
            Files.writeString(d.source.resolve("foul.txt"), "something foul");
            Files.writeString(d.source.resolve("clean.txt"), "all good");
            Files.setPosixFilePermissions(d.source.resolve("foul.txt"), PosixFilePermissions.fromString("rw-r--r--"));
            try (AltitudeCommand client = AltitudeCommand.start("scanuser", "--port-dir", d.runDir.resolve("ports").toString())) {
                client.expect("scanuser: connected");
                Daemon.Result foul = d.shell("nobody", "cat foul.txt");
                assertThat(foul.exit()).isEqualTo(1);
                assertThat(foul.err()).contains("foul.txt: Permission denied");
                client.expect("scan open: foul");
                assertThat(d.shell("nobody", "cat clean.txt").out()).isEqualTo("all good");
                assertThat(d.fltmc("unload", "scanner").exit()).isZero();
                client.expect(ScannerClient.DISCONNECTED);
                assertThat(client.exitCode()).isZero();
            }
            assertThat(d.shell("nobody", "cat foul.txt").out()).isEqualTo("something foul");
            d.stop();
        }
    }

    @Test
    void aStoppedScannerClientHoldsNoOpenPastTheTimeoutAndTheFailClosedPolicyDenies() throws Exception {
        try (Daemon d = Daemon.start(dir, "--filter", "scanner:extensions=txt:timeout=500ms:onTimeout=deny")) {
            Files.writeString(d.source.resolve("clean.txt"), "all good");
            Files.setPosixFilePermissions(d.source.resolve("clean.txt"), PosixFilePermissions.fromString("rw-r--r--"));
            try (AltitudeCommand client = AltitudeCommand.start("scanuser", "--port-dir", d.runDir.resolve("ports").toString())) {
                client.expect("scanuser: connected");
                assertThat(d.shell("nobody", "cat clean.txt").out()).isEqualTo("all good");
                signal("STOP", client.pid());
                try {
                    Daemon.Result denied = d.shell("nobody", "cat clean.txt");
                    assertThat(denied.exit()).isEqualTo(1);
                    assertThat(denied.err()).contains("clean.txt: Permission denied");
                } finally {
                    signal("CONT", client.pid());
                }
                assertThat(d.shell("nobody", "cat clean.txt").out()).as("answering again").isEqualTo("all good");
            }
            d.stop();
        }
    }

    private static void signal(String name, long pid) throws Exception {
        Process k = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).start();
        assertThat(k.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(k.exitValue()).isZero();
    }

    @Test
    void nobodyCannotWriteARootFileThroughTheMountNorReachTheControlSocket() throws Exception {
        try (Daemon d = Daemon.start(dir, "--filter", "passthrough")) {
            Files.writeString(d.source.resolve("root.txt"), "root's");
            Files.setPosixFilePermissions(d.source.resolve("root.txt"), PosixFilePermissions.fromString("rw-r--r--"));
            Daemon.Result write = d.shell("nobody", "echo more >> root.txt");
            assertThat(write.exit()).isNotZero();
            assertThat(write.err()).contains("Permission denied");
            assertThat(Files.readString(d.source.resolve("root.txt"))).isEqualTo("root's");
            assertThat(d.shell("nobody", "cat root.txt").out()).as("reading is allowed").isEqualTo("root's");
            Daemon.Result control = d.shell("nobody", "/usr/bin/python3 -c \"import socket; "
                    + "socket.socket(socket.AF_UNIX).connect('" + d.runDir.resolve("control.sock") + "')\"");
            assertThat(control.exit()).isNotZero();
            assertThat(control.err()).contains("PermissionError");
            assertThat(Files.getPosixFilePermissions(d.runDir.resolve("control.sock")))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
            d.stop();
        }
    }

    @Test
    void afterKill9TheNextMountOnTheSameMountPointWorksAndFsyncedDataIsIntact() throws Exception {
        Daemon first = Daemon.start(dir, "--filter", "passthrough");
        try {
            Daemon.Result w = first.shell(null, "head -c 1000000 /dev/urandom > data.bin && dd if=data.bin of=synced.bin "
                    + "bs=65536 conv=fsync status=none && sha256sum data.bin | cut -c1-64");
            assertThat(w.exit()).isZero();
            String sum = w.out().strip();
            first.process.kill();
            Daemon second = Daemon.start(dir, "--filter", "passthrough");
            try {
                assertThat(second.shell(null, "sha256sum synced.bin | cut -c1-64").out().strip()).isEqualTo(sum);
                assertThat(Files.size(second.source.resolve("synced.bin"))).isEqualTo(1_000_000);
                second.stop();
            } finally {
                second.close();
            }
        } finally {
            first.close();
        }
    }

    /**
     * Counts events, not seconds: fio runs of a fixed amount of work go back to back until the filter has been
     * unloaded and reloaded three times, each cycle starting while a run is under way; every run must end
     * clean. (A fixed-time run gave a loaded machine too few cycles.)
     */
    @Test
    void aFioJobThroughTheMountFinishesWithoutAnErrorWhileAFilterIsUnloadedAndReloaded() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/fio")), "fio is not installed");
        try (Daemon d = Daemon.start(dir, "--filter", "passthrough")) {
            java.util.concurrent.atomic.AtomicReference<Process> running = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.concurrent.atomic.AtomicBoolean enough = new java.util.concurrent.atomic.AtomicBoolean();
            List<String> failures = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
            Thread load = Thread.ofPlatform().name("fio-runs").start(() -> {
                try {
                    while (!enough.get()) {
                        Path out = Files.createTempFile(dir, "fio", ".out");
                        Process fio = new ProcessBuilder("fio", "--name=load", "--directory=" + d.mountPoint, "--rw=randrw",
                                "--bs=4k", "--size=4m", "--io_size=16m", "--numjobs=2", "--ioengine=psync", "--verify=crc32c",
                                "--verify_state_save=0", "--group_reporting").redirectErrorStream(true)
                                .redirectOutput(out.toFile()).start();
                        running.set(fio);
                        if (!fio.waitFor(120, TimeUnit.SECONDS)) {
                            fio.destroyForcibly();
                            failures.add("fio did not finish: " + Files.readString(out));
                            return;
                        }
                        running.set(null);
                        String report = Files.readString(out, StandardCharsets.UTF_8);
                        if (fio.exitValue() != 0 || !report.contains("err= 0")) {
                            failures.add("fio exit " + fio.exitValue() + ": " + report);
                        }
                        runs.incrementAndGet();
                    }
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            });
            int cycles = 0;
            try {
                while (cycles < 3 && failures.isEmpty()) {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); // a hang guard only
                    while (running.get() == null && failures.isEmpty()) {
                        assertThat(System.nanoTime()).as("a fio run under way").isLessThan(deadline);
                        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                    }
                    assertThat(d.fltmc("unload", "passthrough").exit()).isZero();
                    assertThat(d.fltmc("load", "passthrough").exit()).isZero();
                    cycles++;
                }
            } finally {
                enough.set(true);
                load.join(TimeUnit.SECONDS.toMillis(150));
            }
            assertThat(failures).isEmpty();
            assertThat(load.isAlive()).isFalse();
            assertThat(cycles).as("unload/reload cycles during fio runs").isEqualTo(3);
            assertThat(runs.get()).isPositive();
            d.stop();
        }
    }
}
