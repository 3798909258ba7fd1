package dev.altitude.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.samples.scanner.ScannerMessages;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's sockets against a local user ({@code nobody}) who plants, spoofs, steals or floods them: a
 * run directory another user could write is refused, clients refuse a socket served by anyone but root or
 * themselves, a running daemon's mount and run directory are never taken over, and a flood costs the
 * daemon bounded memory and threads.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SocketAttackTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void fuse() {
        Daemon.assumeFuse();
    }

    private static final int NOBODY = 65534;

    private Daemon.Result mount(Path runDir, String... env) throws Exception {
        Path source = Files.createDirectories(dir.resolve("source"));
        List<String> args = new ArrayList<>(List.of("mount", source.toString(), dir.resolve("mnt").toString()));
        if (runDir != null) {
            args.addAll(List.of("--run-dir", runDir.toString()));
        }
        try (AltitudeCommand c = AltitudeCommand.start(List.of(env), args.toArray(String[]::new))) {
            int exit = c.exitCode();
            return new Daemon.Result(exit, String.join("\n", c.output()), c.stderr());
        }
    }

    @Test
    void aRunDirectoryAnotherUserCouldWriteIsRefused() throws Exception {
        Path nobodys = Files.createDirectory(dir.resolve("nobodys"));
        Files.setAttribute(nobodys, "unix:uid", NOBODY);
        Daemon.Result owned = mount(nobodys);
        assertThat(owned.exit()).isEqualTo(2);
        assertThat(owned.err().strip()).contains("belongs to nobody (uid 65534)").doesNotContain("\tat ");
        Daemon.Result fromEnvironment = mount(null, "ALTITUDE_RUN_DIR=" + nobodys);
        assertThat(fromEnvironment.exit()).isEqualTo(2);
        assertThat(fromEnvironment.err()).contains("belongs to nobody");

        Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Daemon.Result writable = mount(open);
        assertThat(writable.exit()).isEqualTo(2);
        assertThat(writable.err()).contains("is writable by every user (mode 777)");

        Path above = Files.createDirectories(dir.resolve("above/run"));
        Files.setAttribute(dir.resolve("above"), "unix:uid", NOBODY);
        Daemon.Result parent = mount(above);
        assertThat(parent.exit()).isEqualTo(2);
        assertThat(parent.err()).contains("a directory above the run directory must belong to root");

        Path planted = Files.createDirectory(dir.resolve("planted"));
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Files.createSymbolicLink(planted.resolve("ports"), elsewhere);
        Daemon.Result link = mount(planted);
        assertThat(link.exit()).isEqualTo(2);
        assertThat(link.err()).contains("ports is a symbolic link");
        assertThat(Files.list(elsewhere).toList()).as("nothing made through the link").isEmpty();
        assertThat(Files.exists(dir.resolve("mnt/.").resolve("x"))).isFalse();
    }

    /** A socket that nobody serves: answers every connection with {@code answer}. */
    private Process fakeServer(Path socket, String answer) throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x")); // nobody may reach its directory
        Files.createDirectories(socket.getParent());
        Files.setAttribute(socket.getParent(), "unix:uid", NOBODY);
        String py = "import socket, sys\n"
                + "s = socket.socket(socket.AF_UNIX)\n"
                + "s.bind(sys.argv[1]); s.listen(8)\n"
                + "print('ready', flush=True)\n"
                + "while True:\n"
                + "    c, _ = s.accept()\n"
                + "    try:\n"
                + "        c.sendall(sys.argv[2].encode().decode('unicode_escape').encode('latin-1'))\n"
                + "    except OSError:\n"
                + "        pass\n"
                + "    c.close()\n";
        Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", py,
                socket.toString(), answer).redirectErrorStream(true).start();
        var ready = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        var line = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return ready.readLine();
            } catch (IOException e) {
                return e.toString();
            }
        });
        try {
            String first = line.get(30, TimeUnit.SECONDS);
            if (!"ready".equals(first)) {
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("the fake server failed: " + first + "\n" + new String(p.getInputStream().readAllBytes()));
            }
        } catch (java.util.concurrent.TimeoutException e) {
            p.destroyForcibly();
            throw new AssertionError("the fake server did not start");
        }
        return p;
    }

    @Test
    void fltmcAndAPortClientRefuseASocketServedByAnotherUser() throws Exception {
        Path fakeRun = dir.resolve("fake");
        Process control = fakeServer(fakeRun.resolve("control.sock"), "o Filter Name   (nobody's answer)\\nx 0\\n");
        try (AltitudeCommand c = AltitudeCommand.start("fltmc", "filters", "--run-dir", fakeRun.toString())) {
            int exit = c.exitCode();
            assertThat(exit).isEqualTo(1);
            assertThat(String.join("\n", c.output())).doesNotContain("nobody's answer");
            assertThat(c.stderr()).contains("is served by user nobody, not by root or root: refusing to talk to it");
        } finally {
            control.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        Path fakePorts = dir.resolve("fakeports");
        Process port = fakeServer(fakePorts.resolve(ScannerMessages.PORT + ".sock"), "\\x00");
        try (AltitudeCommand c = AltitudeCommand.start("scanuser", "--port-dir", fakePorts.toString())) {
            assertThat(c.exitCode()).isEqualTo(1);
            assertThat(String.join("\n", c.output())).doesNotContain("connected");
            assertThat(c.stderr()).contains("is served by user nobody, not by root or root: not trusted").doesNotContain("\tat ");
        } finally {
            port.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aSecondDaemonTakesOverNeitherALiveMountNorARunDirectory() throws Exception {
        try (Daemon first = Daemon.start(dir, "--filter", "passthrough")) {
            Path otherRun = dir.resolve("run2");
            try (AltitudeCommand second = AltitudeCommand.start("mount", first.source.toString(), first.mountPoint.toString(),
                    "--run-dir", otherRun.toString())) {
                assertThat(second.exitCode()).isEqualTo(1);
                assertThat(second.stderr()).contains(first.mountPoint + " is the live mount").contains("of a running daemon");
            }
            Path otherMount = dir.resolve("mnt2");
            try (AltitudeCommand third = AltitudeCommand.start("mount", first.source.toString(), otherMount.toString(),
                    "--run-dir", first.runDir.toString())) {
                assertThat(third.exitCode()).isEqualTo(2);
                assertThat(third.stderr()).contains("another altitude daemon (pid " + first.process.pid() + ") uses the run directory");
            }
            Files.writeString(first.mountPoint.resolve("still.txt"), "the first daemon's");
            assertThat(Files.readString(first.source.resolve("still.txt"))).isEqualTo("the first daemon's");
            assertThat(first.fltmc("filters").out()).contains("passthrough");
            assertThat(FuseMountInfo.mounted(otherMount)).isFalse();
            first.stop();
        }
    }

    @Test
    void aControlRequestWithoutEndIsCutOffAtItsLimit() throws Exception {
        try (Daemon d = Daemon.start(dir)) {
            long rssBefore = status(d.process.pid(), "VmRSS");
            long written = 0;
            try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                c.connect(UnixDomainSocketAddress.of(d.runDir.resolve("control.sock")));
                c.write(ByteBuffer.wrap((ControlProtocol.HELLO + "\ntext\n").getBytes(StandardCharsets.US_ASCII)));
                ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
                java.util.Arrays.fill(chunk.array(), (byte) 'a');
                try {
                    while (written < 256L << 20) { // a 256 MiB line, no newline
                        chunk.clear();
                        while (chunk.hasRemaining()) {
                            written += c.write(chunk);
                        }
                    }
                } catch (IOException closedByTheDaemon) {
                    // what the bound does
                }
            }
            assertThat(written).as("bytes sent before the daemon closed").isLessThan(32L << 20);
            assertThat(status(d.process.pid(), "VmRSS") - rssBefore).as("daemon growth, KiB").isLessThan(64 * 1024);
            assertThat(d.process.stderr()).contains("a bad control request: a request of more than 65536 bytes")
                    .doesNotContain("OutOfMemoryError");
            assertThat(d.fltmc("filters").exit()).isZero();
            d.stop();
        }
    }

    @Test
    void aThousandIdleControlConnectionsCostBoundedThreads() throws Exception {
        try (Daemon d = Daemon.start(dir)) {
            long threadsBefore = status(d.process.pid(), "Threads");
            List<SocketChannel> idle = new ArrayList<>();
            try {
                for (int i = 0; i < 1000; i++) {
                    SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
                    idle.add(c);
                    c.connect(UnixDomainSocketAddress.of(d.runDir.resolve("control.sock")));
                }
                long closed = 0;
                for (SocketChannel c : idle.subList(ControlServer.MAX_CONNECTIONS, idle.size())) {
                    if (c.read(ByteBuffer.allocate(16)) < 0) { // the daemon closed it at once
                        closed++;
                    }
                }
                assertThat(closed).isEqualTo(1000 - ControlServer.MAX_CONNECTIONS);
                assertThat(status(d.process.pid(), "Threads") - threadsBefore).isLessThanOrEqualTo(ControlServer.MAX_CONNECTIONS + 4);
                // the ones it kept are closed when their request does not come in time
                for (SocketChannel c : idle.subList(0, ControlServer.MAX_CONNECTIONS)) {
                    assertThat(c.read(ByteBuffer.allocate(16))).isEqualTo(-1);
                }
                assertThat(d.process.stderr()).contains("a control connection closed: " + ControlServer.MAX_CONNECTIONS
                        + " are open already", "a control connection closed: no whole request within");
            } finally {
                for (SocketChannel c : idle) {
                    c.close();
                }
            }
            assertThat(d.fltmc("filters").exit()).isZero();
            d.stop();
        }
    }

    @Test
    void aThousandPortConnectionsAnnouncingMegabyteFramesCostBoundedMemoryAndThreads() throws Exception {
        try (Daemon d = Daemon.start(dir, "--filter", "scanner")) {
            Path socket = d.runDir.resolve("ports").resolve(ScannerMessages.PORT + ".sock");
            long rssBefore = status(d.process.pid(), "VmRSS");
            long threadsBefore = status(d.process.pid(), "Threads");
            List<SocketChannel> flood = new ArrayList<>();
            try {
                for (int i = 0; i < 1000; i++) {
                    SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
                    flood.add(c);
                    c.connect(UnixDomainSocketAddress.of(socket));
                    ByteBuffer b = ByteBuffer.allocate(4 + 4096).putInt(i % 2 == 0 ? 1 << 20 : 60_000); // a 1 MiB frame, or a big hello
                    b.put((byte) 1).position(b.capacity()).flip();
                    try {
                        c.write(b);
                    } catch (IOException closedAlready) {
                        // over a bound: the daemon closed it
                    }
                }
                int closed = 0;
                for (SocketChannel c : flood) {
                    c.configureBlocking(false);
                    try {
                        if (c.read(ByteBuffer.allocate(64)) < 0) {
                            closed++;
                        }
                    } catch (IOException reset) {
                        closed++;
                    }
                }
                assertThat(closed).as("closed at once (the 1 MiB frames, and those over the cap)").isGreaterThanOrEqualTo(500);
                assertThat(status(d.process.pid(), "Threads") - threadsBefore).isLessThanOrEqualTo(64 + 8);
                assertThat(status(d.process.pid(), "VmRSS") - rssBefore).as("daemon growth, KiB").isLessThan(96 * 1024);
            } finally {
                for (SocketChannel c : flood) {
                    c.close();
                }
            }
            try (AltitudeCommand client = AltitudeCommand.start("scanuser", "--port-dir", d.runDir.resolve("ports").toString())) {
                client.expect("scanuser: connected"); // served again once the flood is gone
            }
            d.stop();
        }
    }

    @Test
    void anotherUserCanRunTheCommandFromTheBuildOutput() throws Exception {
        Path script = AltitudeCommand.script();
        Process reach = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "test", "-x",
                script.toString()).start();
        assertThat(reach.waitFor(30, TimeUnit.SECONDS)).isTrue();
        org.junit.jupiter.api.Assumptions.assumeTrue(reach.exitValue() == 0, "nobody cannot reach " + script + " here");
        Path out = dir.resolve("help.out");
        ProcessBuilder pb = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", script.toString(),
                "scanuser", "--help").redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("ALTITUDE_NO_BUILD", "1");
        pb.environment().put("HOME", "/nonexistent");
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(out)).isZero();
        assertThat(Files.readString(out)).contains("Usage: altitude scanuser");
    }

    /** A field of /proc/PID/status, as a number (kB for sizes). */
    private static long status(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).strip().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException("no " + field);
    }

    /** Whether something is mounted at a path (per /proc/self/mountinfo). */
    static final class FuseMountInfo {
        static boolean mounted(Path p) throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                if (line.split(" ")[4].equals(p.toString())) {
                    return true;
                }
            }
            return false;
        }
    }
}
