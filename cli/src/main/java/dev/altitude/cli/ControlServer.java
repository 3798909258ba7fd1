package dev.altitude.cli;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The daemon's control socket ({@code <run-dir>/control.sock}): mode 0600 in a run directory that
 * {@link RunDirectory} checked, bound under a random name and renamed into place. A peer whose credentials
 * ({@code SO_PEERCRED}) are neither root nor the daemon's own user is refused before anything is read. One
 * request per connection ({@link ControlProtocol}), on a platform thread each, and bounded: at most
 * {@link #MAX_CONNECTIONS} at once (more are closed at once), at most {@link ControlProtocol#MAX_REQUEST}
 * bytes a request, and a request not read whole within the request timeout is closed; each with a logged
 * reason.
 */
final class ControlServer implements AutoCloseable {
    static final int MAX_CONNECTIONS = 16;
    /** How long a connection may take to send its request: {@code -Daltitude.control.requestTimeoutMillis}. */
    static final long REQUEST_TIMEOUT_MILLIS = Long.getLong("altitude.control.requestTimeoutMillis", 10_000);

    private final ServerSocketChannel server;
    private final Path socket;
    private final Fltmc fltmc;
    private final Thread acceptor;
    private final AtomicInteger open = new AtomicInteger();
    private volatile boolean closed;

    private ControlServer(ServerSocketChannel server, Path socket, Fltmc fltmc) {
        this.server = server;
        this.socket = socket;
        this.fltmc = fltmc;
        this.acceptor = Thread.ofPlatform().name("altitude-control").daemon().start(this::accept);
    }

    /** Listens in {@code runDir}, which {@link RunDirectory#prepare} checked and this daemon holds the lock of. */
    static ControlServer start(Path runDir, Fltmc fltmc) throws IOException {
        Path socket = runDir.resolve(ControlProtocol.SOCKET);
        Path temp = runDir.resolve(".control-" + Long.toHexString(new java.security.SecureRandom().nextLong()) + ".sock");
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            s.bind(UnixDomainSocketAddress.of(temp)); // fails if the name exists, link or not
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
            Files.move(temp, socket, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            s.close();
            Files.deleteIfExists(temp);
            throw e;
        }
        return new ControlServer(s, socket, fltmc);
    }

    Path socket() {
        return socket;
    }

    private void accept() {
        while (!closed) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (open.incrementAndGet() > MAX_CONNECTIONS) {
                open.decrementAndGet();
                System.err.println("altitude: a control connection closed: " + MAX_CONNECTIONS + " are open already");
                closeQuietly(c);
                continue;
            }
            Thread.ofPlatform().name("altitude-control-request").daemon().start(() -> {
                try {
                    serve(c);
                } finally {
                    open.decrementAndGet();
                }
            });
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // gone already
        }
    }

    private void serve(SocketChannel c) {
        try (c) {
            Writer out = new OutputStreamWriter(Channels.newOutputStream(c), StandardCharsets.UTF_8);
            String peer = ControlProtocol.peer(c);
            if (!ControlProtocol.trusted(peer)) {
                System.err.println("altitude: a control connection from " + peer + " refused");
                ControlProtocol.writeResponse(out, ControlProtocol.Response.of(1, List.of(new ControlProtocol.Line(true,
                        "the control socket is for root and " + System.getProperty("user.name") + " only, not " + peer))));
                return;
            }
            AtomicBoolean read = new AtomicBoolean();
            CompletableFuture.delayedExecutor(REQUEST_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS).execute(() -> {
                if (!read.get() && c.isOpen()) {
                    System.err.println("altitude: a control connection closed: no whole request within "
                            + REQUEST_TIMEOUT_MILLIS + " ms");
                    closeQuietly(c);
                }
            });
            ControlProtocol.Request request;
            try {
                request = ControlProtocol.readRequest(c);
                read.set(true);
            } catch (IOException e) {
                read.set(true);
                if (c.isOpen()) {
                    System.err.println("altitude: a bad control request: " + e.getMessage());
                    ControlProtocol.writeResponse(out, ControlProtocol.Response.of(2, List.of(new ControlProtocol.Line(true,
                            "bad control request: " + e.getMessage()))));
                }
                return;
            }
            ControlProtocol.Streaming lines = new ControlProtocol.Streaming(c, out);
            lines.finish(fltmc.execute(request, lines));
        } catch (java.io.UncheckedIOException e) {
            // the client went away while its answer streamed (a trace ended with Ctrl-C)
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                System.err.println("altitude: a control request failed: " + e);
            }
        }
    }
    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        Files.deleteIfExists(socket);
        try {
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
