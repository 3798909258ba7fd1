package dev.altitude.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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

/**
 * The daemon's control socket ({@code <run-dir>/control.sock}): mode 0600, and a peer whose credentials
 * ({@code SO_PEERCRED}) are neither root nor the daemon's own user is refused even if it got through. One
 * request per connection ({@link ControlProtocol}), served on a platform thread each.
 */
final class ControlServer implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Path socket;
    private final Fltmc fltmc;
    private final Thread acceptor;
    private volatile boolean closed;

    private ControlServer(ServerSocketChannel server, Path socket, Fltmc fltmc) {
        this.server = server;
        this.socket = socket;
        this.fltmc = fltmc;
        this.acceptor = Thread.ofPlatform().name("altitude-control").daemon().start(this::accept);
    }

    static ControlServer start(Path runDir, Fltmc fltmc) throws IOException {
        Files.createDirectories(runDir);
        Path socket = runDir.resolve(ControlProtocol.SOCKET);
        Path temp = runDir.resolve(".control-" + ProcessHandle.current().pid() + ".sock");
        Files.deleteIfExists(temp);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(temp));
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
        Files.move(temp, socket, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
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
            Thread.ofPlatform().name("altitude-control-request").daemon().start(() -> serve(c));
        }
    }

    private void serve(SocketChannel c) {
        try (c) {
            Writer out = new OutputStreamWriter(Channels.newOutputStream(c), StandardCharsets.UTF_8);
            var peer = c.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED);
            String me = System.getProperty("user.name");
            if (!peer.user().getName().equals("root") && !peer.user().getName().equals(me)) {
                ControlProtocol.writeResponse(out, ControlProtocol.Response.of(1, List.of(new ControlProtocol.Line(true,
                        "the control socket is for root and " + me + " only, not " + peer.user().getName()))));
                return;
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
            ControlProtocol.Request request;
            try {
                request = ControlProtocol.readRequest(in);
            } catch (IOException e) {
                ControlProtocol.writeResponse(out, ControlProtocol.Response.of(2, List.of(new ControlProtocol.Line(true,
                        "bad control request: " + e.getMessage()))));
                return;
            }
            ControlProtocol.writeResponse(out, fltmc.execute(request));
        } catch (IOException | RuntimeException e) {
            System.err.println("altitude: a control request failed: " + e);
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
