package dev.altitude.bench;

import dev.altitude.core.FilterClient;
import dev.altitude.core.NtStatusException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The other process of the round-trip benchmarks. {@code port DIR NAME}: a user-mode client of a filter's
 * port that replies to every message with its bytes. {@code raw SOCKET}: the baseline, a bare Unix socket
 * server that sends back every length-prefixed message. Each prints "ready" when it can be used.
 */
public final class EchoProcess {
    private EchoProcess() {
    }

    public static void main(String[] args) throws IOException {
        if (args[0].equals("port")) {
            try (FilterClient c = FilterClient.connect(Path.of(args[1]), args[2], new byte[0])) {
                System.out.println("ready");
                while (true) {
                    FilterClient.Message m = c.getMessage();
                    c.reply(m, m.data());
                }
            } catch (NtStatusException disconnected) {
                return;
            }
        }
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(Path.of(args[1])));
            System.out.println("ready");
            try (SocketChannel c = server.accept()) {
                ByteBuffer len = ByteBuffer.allocate(4);
                ByteBuffer body = ByteBuffer.allocate(1 << 20);
                while (RawPingPong.readFully(c, len.clear())) {
                    body.clear().limit(len.flip().getInt());
                    if (!RawPingPong.readFully(c, body)) {
                        return;
                    }
                    RawPingPong.writeFully(c, len.flip());
                    RawPingPong.writeFully(c, body.flip());
                }
            }
        }
    }
}
