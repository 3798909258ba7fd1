package dev.altitude.core;

import dev.altitude.core.wire.PortChannel;
import dev.altitude.core.wire.PortWire;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * A server port's Unix socket: {@code <directory>/<name>.sock}, bound under a temporary name, given its
 * mode (and group) and only then renamed into place, so no client reaches it with the wrong permissions.
 * Each connection has a thread of its own that reads it while no sender waits on it ({@link PortChannel});
 * a broken frame closes that connection alone, with the reason reported.
 *
 * <p>Bounded against a peer that only takes: its credentials ({@code SO_PEERCRED}) are known before a byte
 * is read; until its hello is accepted it may send one frame of at most {@link PortWire#MAX_HELLO} bytes,
 * within {@link #HELLO_TIMEOUT_MILLIS}; at most {@link #MAX_UNACCEPTED} connections wait for that at once
 * (the accepted ones are bounded by the port's {@code maxConnections}). Each bound closes that one
 * connection, with a {@link Diagnostic.Kind#PORT} diagnostic that says why.
 */
final class PortListener implements AutoCloseable {
    /** Connections whose hello is not yet accepted, at most, per port. */
    static final int MAX_UNACCEPTED = 64;
    /** How long a connection may take to be accepted: {@code -Daltitude.port.helloTimeoutMillis}. */
    static final long HELLO_TIMEOUT_MILLIS = Long.getLong("altitude.port.helloTimeoutMillis", 10_000);
    /** One daemon thread for every connection's hello timeout; a cancelled timeout leaves its queue at once. */
    private static final java.util.concurrent.ScheduledThreadPoolExecutor HELLO_TIMERS = helloTimers();

    private static java.util.concurrent.ScheduledThreadPoolExecutor helloTimers() {
        var timers = new java.util.concurrent.ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().daemon().name("altitude-port-hello-timer").factory());
        timers.setRemoveOnCancelPolicy(true);
        return timers;
    }

    private final FilterManager manager;
    private final ServerPort port;
    private final ServerSocketChannel server;
    private final Path socket;
    private final java.util.concurrent.atomic.AtomicInteger unaccepted = new java.util.concurrent.atomic.AtomicInteger();

    private PortListener(FilterManager manager, ServerPort port, ServerSocketChannel server, Path socket) {
        this.manager = manager;
        this.port = port;
        this.server = server;
        this.socket = socket;
    }

    static PortListener listen(FilterManager manager, ServerPort port, Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Path socket = directory.resolve(port.name() + ".sock");
        if (Files.exists(socket)) {
            if (isLive(socket)) {
                throw new NtStatusException(NtStatus.OBJECT_NAME_COLLISION,
                        "another process listens on port '" + port.name() + "' (" + socket + ")");
            }
            Files.deleteIfExists(socket); // left by a process that died
        }
        Path temporary = directory.resolve("." + port.name() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(temporary));
            Files.setPosixFilePermissions(temporary, port.access().fileMode());
            if (port.access().fileGroup() != null) {
                UserPrincipalLookupService users = temporary.getFileSystem().getUserPrincipalLookupService();
                GroupPrincipal group = users.lookupPrincipalByGroupName(port.access().fileGroup());
                Files.getFileAttributeView(temporary, PosixFileAttributeView.class).setGroup(group);
            }
            Files.move(temporary, socket, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            server.close();
            Files.deleteIfExists(temporary);
            throw e;
        }
        PortListener l = new PortListener(manager, port, server, socket);
        Thread.ofPlatform().daemon().name("altitude-port-" + port.name()).start(l::acceptLoop);
        return l;
    }

    private static boolean isLive(Path socket) {
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return probe.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    private void acceptLoop() {
        while (true) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (unaccepted.incrementAndGet() > MAX_UNACCEPTED) {
                unaccepted.decrementAndGet();
                refuse(c, MAX_UNACCEPTED + " connections are waiting to be accepted already");
                continue;
            }
            Thread.ofPlatform().daemon().name("altitude-port-" + port.name() + "-conn").start(() -> serve(c));
        }
    }

    private void refuse(SocketChannel c, String why) {
        String who;
        try {
            who = "user " + c.getOption(ExtendedSocketOptions.SO_PEERCRED).user().getName();
        } catch (IOException | RuntimeException e) {
            who = "an unknown peer";
        }
        report(who, why);
        closeQuietly(c);
    }

    private void report(String who, String why) {
        manager.diagnostics.report(Diagnostic.Kind.PORT, port.filter.name(), "port '" + port.name()
                + "': connection from " + who + " closed: " + why);
    }

    /**
     * The server side of one connection: its end towards the client, the getters that write frames, and
     * what it does with each frame the client sends (on whichever thread reads it, see {@link PortChannel}).
     */
    private final class Connection implements ClientPort.UserEnd, PortChannel.Receiver {
        final PortChannel channel;
        final PeerIdentity peer;
        /** Set once the hello is accepted; read by later leaders, which took the lead after it was set. */
        ClientPort client;
        /** Set when the hello was answered (accepted or not), timed out, or the connection ended before. */
        private final java.util.concurrent.atomic.AtomicBoolean answered = new java.util.concurrent.atomic.AtomicBoolean();

        /** The connection stops waiting for its hello: true for the first who says so (it leaves the count). */
        boolean stopWaiting() {
            if (answered.compareAndSet(false, true)) {
                unaccepted.decrementAndGet();
                java.util.concurrent.Future<?> timer = helloTimer;
                if (timer != null) {
                    timer.cancel(false);
                }
                return true;
            }
            return false;
        }

        /** The hello's timeout, cancelled (and dropped from the timer's queue) when the hello is answered. */
        volatile java.util.concurrent.Future<?> helloTimer;

        Connection(SocketChannel socket, PeerIdentity peer) throws IOException {
            this.channel = new PortChannel(socket, this, false);
            this.peer = peer;
        }

        @Override
        public void disconnected() {
            channel.close();
        }

        /** A sender waiting for its reply reads the socket itself while nobody else does. */
        @Override
        public void await(CompletableFuture<?> done, long nanos) throws InterruptedException {
            channel.awaitDone(done, nanos);
        }

        ClientPort.Getter getter() {
            return new ClientPort.Getter() {
                @Override
                public boolean deliver(FilterClient.Message m) {
                    try {
                        channel.write(new PortWire.Message(m.id(), m.replyCapacity(), m.data()));
                        return true;
                    } catch (IOException e) {
                        return false;
                    }
                }

                @Override
                public void disconnected() {
                    // the channel closes with the connection
                }
            };
        }

        @Override
        public void received(PortWire.Frame frame) throws IOException {
            ClientPort cp = client;
            if (cp == null) {
                hello(frame);
                return;
            }
            switch (frame) {
                case PortWire.Get g -> {
                    ClientPort.Getter getter = getter();
                    FilterClient.Message m = cp.take(getter);
                    if (m != null && !getter.deliver(m)) {
                        throw new EOFException("the client went away");
                    }
                }
                case PortWire.Reply r -> channel.write(new PortWire.ReplyResult(r.id(), cp.reply(r.id(), r.data()).code()));
                case PortWire.Send s -> Thread.ofVirtual().name("altitude-port-" + port.name() + "-send").start(() -> {
                    PortResult out = cp.userSend(s.data(), s.outputCapacity());
                    try {
                        channel.write(new PortWire.SendResult(s.id(), out.status().code(), out.data()));
                    } catch (IOException e) {
                        // the connection ended: the channel is closed and its reader ends it
                    }
                });
                default -> throw new PortWire.WireException("unexpected frame from a client");
            }
        }

        /** The first frame: the client's hello, answered before anything else is read. */
        private void hello(PortWire.Frame frame) throws IOException {
            if (!stopWaiting()) {
                throw new EOFException("closed: no hello in time");
            }
            if (!(frame instanceof PortWire.Hello hello)) {
                throw new PortWire.WireException("the first frame is not a hello");
            }
            if (!hello.portName().equals(port.name())) {
                channel.write(new PortWire.HelloResult(NtStatus.OBJECT_NAME_NOT_FOUND.code()));
                throw new EOFException("refused: no such port");
            }
            ClientPort cp;
            try {
                cp = port.connect(hello.context(), peer, this);
            } catch (NtStatusException refused) {
                channel.write(new PortWire.HelloResult(refused.status().code()));
                throw new EOFException("refused: " + refused.status());
            }
            client = cp;
            channel.limitFrames(PortWire.MAX_FRAME);
            channel.write(new PortWire.HelloResult(NtStatus.SUCCESS.code()));
        }
    }

    private void serve(SocketChannel socket) {
        Connection conn = null;
        String who = "an unknown peer";
        try {
            UnixDomainPrincipal p = socket.getOption(ExtendedSocketOptions.SO_PEERCRED);
            PeerIdentity peer = new PeerIdentity(p.user().getName(), p.group().getName(), OptionalLong.empty(), false);
            who = "user " + peer.user();
            conn = new Connection(socket, peer);
            conn.channel.limitFrames(PortWire.MAX_HELLO);
            Connection c = conn;
            String whom = who;
            // cancelled once the hello is answered: a waiting timer would keep the connection, and with it the filter
            // and its classes, reachable for the whole timeout after an unload
            conn.helloTimer = HELLO_TIMERS.schedule(() -> {
                if (c.stopWaiting()) {
                    report(whom, "no hello within " + HELLO_TIMEOUT_MILLIS + " ms"); // said before it is seen
                    c.channel.close();
                }
            }, HELLO_TIMEOUT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
            conn.channel.serve();
        } catch (PortWire.WireException e) {
            report(who, e.getMessage());
        } catch (IOException e) {
            // the client closed, died or was refused, the filter closed the connection, or the socket broke
        } finally {
            if (conn == null) {
                unaccepted.decrementAndGet(); // ended before it was a connection
            } else {
                conn.stopWaiting(); // ended before its hello was answered, if it was not
            }
            if (conn == null) {
                closeQuietly(socket);
            } else {
                conn.disconnected();
                if (conn.client != null) {
                    conn.client.disconnect();
                }
            }
        }
    }

    private static void closeQuietly(SocketChannel socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public void close() throws IOException {
        try {
            server.close();
        } finally {
            Files.deleteIfExists(socket);
        }
    }
}
