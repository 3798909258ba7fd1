package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.altitude.core.wire.PortWire;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Ports across processes: Unix sockets, a second JVM, kill -9, access by peer credentials, a broken frame. */
@Timeout(120)
class PortSocketTest {
    @TempDir
    Path dir;
    private FilterManager manager;

    private FilterManager manager() {
        if (manager == null) {
            manager = FilterManager.builder().portDirectory(dir.resolve("ports")).build();
            manager.mountVolume("vol", new MemoryBackend());
        }
        return manager;
    }

    private Path ports() {
        return dir.resolve("ports");
    }

    @AfterEach
    void close() {
        if (manager != null) {
            manager.close();
        }
    }

    @Test
    void theSocketIsOwnerOnlyAndAClientInThisJvmTalksThroughIt() throws IOException {
        PortFilter pf = PortFilter.load(manager(), "scan", 2, (c, in) -> ("out:" + new String(in)).getBytes());
        Path socket = ports().resolve("scanPort.sock");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ports()))).isEqualTo("rwx------");
        try (FilterClient c = FilterClient.connect(ports(), "scanPort", "ctx".getBytes())) {
            ClientPort cp = pf.clients.getFirst();
            assertThat(cp.peer().inProcess()).isFalse();
            assertThat(cp.peer().user()).isEqualTo(System.getProperty("user.name"));
            assertThat(cp.peer().processId()).isEmpty();
            assertThat(cp.context()).isEqualTo("ctx".getBytes());
            assertThat(new String(c.send("in".getBytes(), 64).data())).isEqualTo("out:in");
            var got = c.getMessageAsync();
            var asked = java.util.concurrent.CompletableFuture.supplyAsync(() -> pf.ask("q", 8, null));
            FilterClient.Message m = got.join();
            assertThat(c.reply(m, "a".getBytes())).isEqualTo(NtStatus.SUCCESS);
            assertThat(new String(asked.join().data())).isEqualTo("a");
            assertThat(c.reply(m, "again".getBytes())).isEqualTo(NtStatus.FLT_NO_WAITER_FOR_REPLY);
            assertThat(pf.ask("t", 8, Duration.ofMillis(50)).status()).isEqualTo(NtStatus.TIMEOUT);
        }
        Await.until("disconnect notified", () -> pf.events.contains("disconnect ctx"));
        assertThat(catchThrowableOfType(NtStatusException.class, () -> FilterClient.connect(ports(), "absent", null)).status())
                .isEqualTo(NtStatus.OBJECT_NAME_NOT_FOUND);
        pf.port.close();
        assertThat(socket).doesNotExist();
    }

    @Test
    void aSecondJvmConnectsReceivesRepliesAndSeesTheUnloadAsDisconnected() throws IOException {
        PortFilter pf = PortFilter.load(manager(), "scan", 1, null);
        try (ChildJvm child = ChildJvm.start("echo", ports().toString(), "scanPort", "child")) {
            child.expect("connected");
            Await.until("connect notified", () -> pf.clients.size() == 1);
            PortResult r = pf.ask("hello", 16, Duration.ofSeconds(30));
            assertThat(r.status()).isEqualTo(NtStatus.SUCCESS);
            assertThat(new String(r.data())).isEqualTo("HELLO");
            child.expect("got hello");
            assertThat(manager().unloadFilter("scan")).isEqualTo(NtStatus.SUCCESS);
            child.expect("disconnected STATUS_PORT_DISCONNECTED");
            assertThat(child.exitCode()).isZero();
        }
        assertThat(pf.events).containsOnlyOnce("disconnect child").noneMatch(e -> e.startsWith("LATE"));
    }

    @Test
    void aClientKilledWhileTheFilterWaitsForItsReplyReleasesTheSenderAndDoesNotBlockTheUnload() throws IOException {
        PortFilter pf = PortFilter.load(manager(), "scan", 1, null);
        AtomicReference<PortResult> result = new AtomicReference<>();
        long[] released = new long[1];
        try (ChildJvm child = ChildJvm.start("hang", ports().toString(), "scanPort", "victim")) {
            child.expect("connected");
            Await.until("connect notified", () -> pf.clients.size() == 1);
            Thread sender = Thread.ofPlatform().name("sender").start(() -> {
                result.set(pf.ask("scan this", 16, null)); // no timeout: only the disconnect ends it
                released[0] = System.nanoTime();
            });
            child.expect("got scan this");
            Await.until("the sender waits for the reply", () -> manager().explain("scan").orElseThrow()
                    .holders(HolderKind.BLOCKED_SENDER).size() == 1);
            long killed = System.nanoTime();
            child.kill();
            Await.joined(sender);
            assertThat(result.get().status()).isEqualTo(NtStatus.PORT_DISCONNECTED);
            System.out.printf("kill -9: the blocked sender returned STATUS_PORT_DISCONNECTED %.1f ms after the kill%n",
                    (released[0] - killed) / 1e6);
        }
        Await.until("disconnect notified", () -> pf.events.contains("disconnect victim"));
        FilterManager.UnloadOutcome o = manager().unloadFilter("scan", UnloadMode.OPTIONAL, Duration.ofSeconds(20));
        assertThat(o.status()).isEqualTo(NtStatus.SUCCESS);
        assertThat(pf.events).containsOnlyOnce("disconnect victim").noneMatch(e -> e.startsWith("LATE"));
    }

    private static boolean canRunAsNobody() {
        boolean root = "root".equals(System.getProperty("user.name"));
        boolean setpriv = Files.isExecutable(Path.of("/usr/bin/setpriv"));
        if (!root || !setpriv) {
            System.out.println("SKIPPED access test with another uid: needs root and /usr/bin/setpriv (root="
                    + root + ", setpriv=" + setpriv + ")");
        }
        return root && setpriv;
    }

    private static final List<String> AS_NOBODY = List.of("/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup",
            "--clear-groups");

    @Test
    void aPeerTheAccessRuleRefusesCannotConnect() throws IOException {
        Assumptions.assumeTrue(canRunAsNobody(), "needs root and setpriv to run a client as 'nobody'");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(ports());
        Files.setPosixFilePermissions(ports(), PosixFilePermissions.fromString("rwxr-xr-x"));
        // owner only: the socket file itself keeps 'nobody' out
        PortFilter owner = PortFilter.load(manager(), "own", 1, null);
        try (ChildJvm child = ChildJvm.start(AS_NOBODY, "connect", ports().toString(), "ownPort")) {
            child.expect("refused STATUS_ACCESS_DENIED");
        }
        // a world-writable socket with a rule naming root only: the credential check refuses 'nobody'
        PortFilter rooted = PortFilter.load(manager(), "rooted", 1, null, PortAccess.users("root"));
        try (ChildJvm child = ChildJvm.start(AS_NOBODY, "connect", ports().toString(), "rootedPort")) {
            child.expect("refused STATUS_ACCESS_DENIED");
        }
        try (ChildJvm child = ChildJvm.start(AS_NOBODY, "connect", ports().toString(), "rootedPort")) {
            child.expect("refused STATUS_ACCESS_DENIED");
        }
        assertThat(owner.events).isEmpty();
        assertThat(rooted.events).as("the connect notification never ran for the refused peer").isEmpty();
        // a group rule: the socket is 0660 in 'nogroup', and 'nobody' (primary group nogroup) is admitted
        PortFilter grouped = PortFilter.load(manager(), "grouped", 1, null, PortAccess.group("nogroup"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ports().resolve("groupedPort.sock"))))
                .isEqualTo("rw-rw----");
        try (ChildJvm child = ChildJvm.start(AS_NOBODY, "connect", ports().toString(), "groupedPort", "nobody")) {
            child.expect("connected");
        }
        Await.until("nobody connected and left", () -> grouped.events.size() == 2);
        assertThat(grouped.events.getFirst()).isEqualTo("connect nobody nobody");
        // root itself is admitted by the same rule
        try (ChildJvm child = ChildJvm.start("connect", ports().toString(), "rootedPort", "root")) {
            child.expect("connected");
        }
        Await.until("root connected and left", () -> rooted.events.size() == 2);
    }

    @Test
    void aMalformedFrameClosesThatConnectionAloneWithAReason() throws IOException {
        PortFilter pf = PortFilter.load(manager(), "scan", 4, (c, in) -> in);
        try (FilterClient good = FilterClient.connect(ports(), "scanPort", "good".getBytes());
             SocketChannel bad = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            bad.connect(UnixDomainSocketAddress.of(ports().resolve("scanPort.sock")));
            PortWire.write(bad, new PortWire.Hello(PortWire.VERSION, "scanPort", "bad".getBytes()));
            PortWire.Reader answer = new PortWire.Reader();
            PortWire.Frame hello;
            while ((hello = answer.next()) == null) {
                answer.fill(bad);
            }
            assertThat(hello).isEqualTo(new PortWire.HelloResult(0));
            bad.write(ByteBuffer.allocate(5).putInt(0x7FFFFFFF).put((byte) 4).flip());
            assertThat(closedByServer(bad)).as("the server closed the bad connection").isTrue();
            Await.until("bad client's disconnect notified", () -> pf.events.contains("disconnect bad"));
            assertThat(manager().diagnostics()).anySatisfy(d -> {
                assertThat(d.kind()).isEqualTo(Diagnostic.Kind.PORT);
                assertThat(d.message()).contains("frame length", "closed");
            });
            assertThat(new String(good.send("still here".getBytes(), 32).data())).isEqualTo("still here");
            assertThat(pf.filter().state()).isEqualTo(Filter.State.FILTERING);
        }
    }

    @Test
    void aLiveSocketOfAnotherManagerIsACollisionAndAStaleOneIsReplaced() throws IOException {
        PortFilter.load(manager(), "scan", 1, null);
        try (FilterManager other = FilterManager.builder().portDirectory(ports()).build()) {
            TestFilter t = TestFilter.load(other, "scan", "1", b -> b);
            assertThat(catchThrowableOfType(NtStatusException.class, () -> t.filter().createCommunicationPort("scanPort", 1,
                    PortCallbacks.of((c, x, p) -> NtStatus.SUCCESS, c -> { }))).status())
                    .isEqualTo(NtStatus.OBJECT_NAME_COLLISION);
        }
        // a socket file nobody listens on any more
        Path stale = ports().resolve("stalePort.sock");
        try (var s = java.nio.channels.ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(stale));
        }
        assertThat(stale).exists();
        PortFilter fresh = PortFilter.load(manager(), "stale", 1, null);
        try (FilterClient c = FilterClient.connect(ports(), "stalePort", null)) {
            assertThat(c.isConnected()).isTrue();
        }
        Await.until("connect and disconnect notified", () -> fresh.events.size() == 2);
    }

    /** The peer closed: end of stream, or a reset because it closed with our bytes unread. */
    private static boolean closedByServer(SocketChannel c) {
        try {
            return c.read(ByteBuffer.allocate(16)) == -1;
        } catch (IOException reset) {
            return true;
        }
    }
}
