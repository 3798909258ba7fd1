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
    /** The descriptor socket of a port that lends files, or null; set before the first accept. */
    private FileSocket files;

    private PortListener(FilterManager manager, ServerPort port, ServerSocketChannel server, Path socket) {
        this.manager = manager;
        this.port = port;
        this.server = server;
        this.socket = socket;
    }

    /**
     * The descriptor socket of a port that lends files: {@code <directory>/<name>.files}, a {@code SOCK_SEQPACKET}
     * Unix socket made and checked through FFM (the JDK's channels pass no descriptors). A connection joins it
     * during its hello: the server sends the client a nonce (FILE_CHANNEL), the client connects here and sends
     * it back, and the server takes the socket if the nonce is one it gave and the peer's user and group are the
     * connection's. Each lent file then goes as one record (the message id, the descriptor in {@code
     * SCM_RIGHTS}) before the FILE_MESSAGE frame that names it.
     */
    private final class FileSocket {
        final int fd;
        final Path path;
        final java.util.Map<String, Connection> joining = new java.util.concurrent.ConcurrentHashMap<>();
        volatile boolean closed;

        FileSocket(int fd, Path path) {
            this.fd = fd;
            this.path = path;
        }

        void acceptLoop() {
            try {
                while (!closed) {
                    int c;
                    try {
                        c = dev.altitude.core.unix.Unix.accept(fd);
                    } catch (dev.altitude.core.unix.Unix.Errno e) {
                        if (closed || e.errno() != 103 && e.errno() != 24 && e.errno() != 23) { // not ECONNABORTED, EMFILE, ENFILE
                            return;
                        }
                        continue;
                    }
                    if (closed || unaccepted.incrementAndGet() > MAX_UNACCEPTED) {
                        if (!closed) {
                            unaccepted.decrementAndGet();
                            report("a peer on the descriptor socket", MAX_UNACCEPTED + " connections are waiting to be accepted already");
                        }
                        dev.altitude.core.unix.Unix.close(c);
                        continue;
                    }
                    Thread.ofPlatform().daemon().name("altitude-port-" + port.name() + "-files").start(() -> join(c));
                }
            } finally {
                dev.altitude.core.unix.Unix.close(fd); // here, so no accept ever runs on a number reused
            }
        }

        /** One peer on the descriptor socket: its nonce within the hello's time, then its credentials. */
        private void join(int c) {
            String who = "a peer on the descriptor socket";
            boolean taken = false;
            try {
                dev.altitude.core.unix.Unix.timeouts(c, HELLO_TIMEOUT_MILLIS);
                int[] cred = dev.altitude.core.unix.Unix.peerCredentials(c);
                String user = dev.altitude.core.unix.Unix.name(cred[1], false);
                String group = dev.altitude.core.unix.Unix.name(cred[2], true);
                who = "user " + user + " (pid " + cred[0] + ") on the descriptor socket";
                dev.altitude.core.unix.Unix.Received r = dev.altitude.core.unix.Unix.receive(c, PortWire.NONCE + 1);
                if (r.fd() >= 0) {
                    dev.altitude.core.unix.Unix.close(r.fd());
                }
                Connection conn = r.data().length == PortWire.NONCE ? joining.remove(java.util.HexFormat.of().formatHex(r.data())) : null;
                if (conn == null) {
                    report(who, "no nonce this port gave");
                } else if (!user.equals(conn.peer.user()) || !group.equals(conn.peer.group())) {
                    report(who, "not the connection's peer (" + conn.peer.user() + ", group " + conn.peer.group() + ")");
                    conn.joined.complete(-1);
                } else {
                    taken = conn.joined.complete(c);
                }
            } catch (IOException e) {
                report(who, "no nonce within " + HELLO_TIMEOUT_MILLIS + " ms: " + e.getMessage());
            } finally {
                unaccepted.decrementAndGet();
                if (!taken) {
                    dev.altitude.core.unix.Unix.close(c);
                }
            }
        }

        void close() throws IOException {
            closed = true;
            dev.altitude.core.unix.Unix.shutdown(fd); // wakes the accept; its thread closes the socket
            Files.deleteIfExists(path);
        }
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
        Path temporary = temporaryName(directory, port.name());
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(temporary));
            place(temporary, socket, port.access());
        } catch (IOException | RuntimeException e) {
            server.close();
            Files.deleteIfExists(temporary);
            throw e;
        }
        PortListener l = new PortListener(manager, port, server, socket);
        if (port.access().lendsFiles()) {
            try {
                l.files = l.bindFiles(directory);
            } catch (IOException | RuntimeException e) {
                l.close();
                throw e;
            }
            Thread.ofPlatform().daemon().name("altitude-port-" + port.name() + "-files").start(l.files::acceptLoop);
        }
        Thread.ofPlatform().daemon().name("altitude-port-" + port.name()).start(l::acceptLoop);
        return l;
    }

    private static Path temporaryName(Path directory, String name) {
        return directory.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    }

    /** A socket bound under a temporary name gets the port's mode (and group) and only then its name. */
    private static void place(Path temporary, Path socket, PortAccess access) throws IOException {
        Files.setPosixFilePermissions(temporary, access.fileMode());
        if (access.fileGroup() != null) {
            UserPrincipalLookupService users = temporary.getFileSystem().getUserPrincipalLookupService();
            GroupPrincipal group = users.lookupPrincipalByGroupName(access.fileGroup());
            Files.getFileAttributeView(temporary, PosixFileAttributeView.class).setGroup(group);
        }
        Files.move(temporary, socket, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The descriptor socket, bound and placed as the port's own socket is. */
    private FileSocket bindFiles(Path directory) throws IOException {
        Path path = directory.resolve(port.name() + ".files");
        Files.deleteIfExists(path); // the port's own socket was free: so is this name
        Path temporary = temporaryName(directory, port.name());
        int fd = dev.altitude.core.unix.Unix.socket(dev.altitude.core.unix.Unix.SOCK_SEQPACKET);
        try {
            dev.altitude.core.unix.Unix.bind(fd, temporary.toString());
            place(temporary, path, port.access());
            dev.altitude.core.unix.Unix.listen(fd, 64);
        } catch (IOException | RuntimeException e) {
            dev.altitude.core.unix.Unix.close(fd);
            Files.deleteIfExists(temporary);
            throw e;
        }
        return new FileSocket(fd, path);
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
        /** The descriptor socket this connection joined (-1: a peer that is not its client tried), on a port lending files. */
        final CompletableFuture<Integer> joined = new CompletableFuture<>();
        private final Object filesLock = new Object();
        private boolean filesClosed; // under filesLock

        Connection(SocketChannel socket, PeerIdentity peer) throws IOException {
            this.channel = new PortChannel(socket, this, false);
            this.peer = peer;
        }

        @Override
        public void disconnected() {
            channel.close();
            synchronized (filesLock) { // called again (by the transport and by the port): closed once, never a reused number
                int fd = joined.getNow(-1);
                if (fd >= 0 && !filesClosed) {
                    dev.altitude.core.unix.Unix.close(fd);
                }
                filesClosed = true;
            }
            joined.complete(-1);
        }

        /** Sends a lent file's descriptor, tagged with its message's id, ahead of the frame naming it. */
        private void sendFile(FilterClient.Message m) throws IOException {
            synchronized (filesLock) {
                int socket = joined.getNow(-1);
                if (filesClosed || socket < 0) {
                    throw new EOFException("no descriptor socket");
                }
                byte[] id = java.nio.ByteBuffer.allocate(8).putLong(m.id()).array();
                // a client that takes no descriptors fills its queue: that fails this send, it never blocks it
                m.file().withDescriptor(fd -> {
                    dev.altitude.core.unix.Unix.send(socket, id, fd, dev.altitude.core.unix.Unix.MSG_DONTWAIT);
                    return null;
                });
            }
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
                        if (m.file() == null) {
                            channel.write(new PortWire.Message(m.id(), m.replyCapacity(), m.data()));
                        } else {
                            sendFile(m);
                            channel.write(new PortWire.FileMessage(m.id(), m.replyCapacity(), m.data()));
                        }
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
                case PortWire.FileClosed c -> cp.fileReturned(c.id());
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
            if (PortListener.this.files != null && !joinFiles(this)) {
                channel.write(new PortWire.HelloResult(NtStatus.PORT_CONNECTION_REFUSED.code()));
                throw new EOFException("refused: the client did not join the descriptor socket");
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

    /**
     * On a port lending files, before the connection is accepted: gives the client a nonce and waits (within the
     * hello's time) for it to come back on the descriptor socket from the connection's own user and group.
     */
    private boolean joinFiles(Connection c) throws IOException {
        byte[] nonce = new byte[PortWire.NONCE];
        NONCES.nextBytes(nonce);
        String key = java.util.HexFormat.of().formatHex(nonce);
        files.joining.put(key, c);
        try {
            c.channel.write(new PortWire.FileChannel(nonce));
            return c.joined.get(HELLO_TIMEOUT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS) >= 0;
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            report("user " + c.peer.user(), "did not join the descriptor socket within " + HELLO_TIMEOUT_MILLIS + " ms");
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            files.joining.remove(key);
        }
    }

    private static final java.security.SecureRandom NONCES = new java.security.SecureRandom();

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
            if (files != null) {
                files.close();
            }
        } finally {
            Files.deleteIfExists(socket);
        }
    }
}
