package dev.altitude.core;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
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
import java.util.concurrent.ThreadLocalRandom;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * A server port's Unix socket: {@code <directory>/<name>.sock}, bound under a temporary name, given its
 * mode (and group) and only then renamed into place, so no client reaches it with the wrong permissions.
 * Each connection is served by its own virtual thread speaking {@link PortWire}; a broken frame closes
 * that connection alone, with the reason reported.
 */
final class PortListener implements AutoCloseable {
    private final FilterManager manager;
    private final ServerPort port;
    private final ServerSocketChannel server;
    private final Path socket;

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
            Thread.ofPlatform().daemon().name("altitude-port-" + port.name() + "-conn").start(() -> serve(c));
        }
    }

    /** The server side of one connection: its end towards the client, and getters that write frames. */
    private static final class Connection implements ClientPort.UserEnd {
        final SocketChannel channel;
        final Object writeLock = new Object();

        Connection(SocketChannel channel) {
            this.channel = channel;
        }

        void write(PortWire.Frame frame) throws IOException {
            synchronized (writeLock) {
                PortWire.write(channel, frame);
            }
        }

        @Override
        public void disconnected() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // already gone
            }
        }

        ClientPort.Getter getter() {
            return new ClientPort.Getter() {
                @Override
                public boolean deliver(FilterClient.Message m) {
                    try {
                        write(new PortWire.Message(m.id(), m.replyCapacity(), m.data()));
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
    }

    private void serve(SocketChannel channel) {
        Connection conn = new Connection(channel);
        ClientPort client = null;
        String who = "an unknown peer";
        try {
            UnixDomainPrincipal p = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
            PeerIdentity peer = new PeerIdentity(p.user().getName(), p.group().getName(), OptionalLong.empty(), false);
            who = "user " + peer.user();
            if (!(PortWire.read(channel) instanceof PortWire.Hello hello)) {
                throw new PortWire.WireException("the first frame is not a hello");
            }
            if (!hello.portName().equals(port.name())) {
                conn.write(new PortWire.HelloResult(NtStatus.OBJECT_NAME_NOT_FOUND.code()));
                return;
            }
            try {
                client = port.connect(hello.context(), peer, conn);
            } catch (NtStatusException refused) {
                conn.write(new PortWire.HelloResult(refused.status().code()));
                return;
            }
            conn.write(new PortWire.HelloResult(NtStatus.SUCCESS.code()));
            ClientPort cp = client;
            while (true) {
                switch (PortWire.read(channel)) {
                    case PortWire.Get g -> {
                        ClientPort.Getter getter = conn.getter();
                        FilterClient.Message m = cp.take(getter);
                        if (m != null && !getter.deliver(m)) {
                            return;
                        }
                    }
                    case PortWire.Reply r -> conn.write(new PortWire.ReplyResult(r.id(), cp.reply(r.id(), r.data()).code()));
                    case PortWire.Send s -> Thread.ofVirtual().name("altitude-port-" + port.name() + "-send").start(() -> {
                        PortResult out = cp.userSend(s.data(), s.outputCapacity());
                        try {
                            conn.write(new PortWire.SendResult(s.id(), out.status().code(), out.data()));
                        } catch (IOException e) {
                            conn.disconnected();
                        }
                    });
                    default -> throw new PortWire.WireException("unexpected frame from a client");
                }
            }
        } catch (PortWire.WireException e) {
            manager.diagnostics.report(Diagnostic.Kind.PORT, port.filter.name(), "port '" + port.name()
                    + "': connection from " + who + " closed: " + e.getMessage());
        } catch (NtStatusException e) {
            // the connection ended while a getter asked (PORT_DISCONNECTED)
        } catch (EOFException | ClosedChannelException e) {
            // the client closed or died, or the filter closed the connection
        } catch (IOException e) {
            // the socket broke: the same as the client going away
        } finally {
            conn.disconnected();
            if (client != null) {
                client.disconnect();
            }
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
