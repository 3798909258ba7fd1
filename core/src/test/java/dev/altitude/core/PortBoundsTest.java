package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.altitude.core.wire.PortWire;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A port socket gives a peer that only takes nothing it can pile up: buffers grow with the bytes that come,
 * not with the lengths a peer announces; before its hello a connection may send one small frame, in a
 * bounded time; and only so many connections wait for their hello at once. Each bound closes that one
 * connection, with a diagnostic saying why.
 */
@Timeout(120)
class PortBoundsTest {
    @TempDir
    Path dir;
    private FilterManager manager;
    private final List<SocketChannel> opened = new ArrayList<>();

    @AfterEach
    void close() throws IOException {
        for (SocketChannel c : opened) {
            c.close();
        }
        if (manager != null) {
            manager.close();
        }
    }

    private PortFilter port() {
        manager = FilterManager.builder().portDirectory(dir.resolve("ports")).build();
        manager.mountVolume("vol", new MemoryBackend());
        return PortFilter.load(manager, "bounded", 4, null);
    }

    private SocketChannel connect() throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        opened.add(c);
        c.connect(UnixDomainSocketAddress.of(dir.resolve("ports/boundedPort.sock")));
        return c;
    }

    /** Announces a frame of {@code length} bytes and sends {@code sent} of them. */
    private static void announce(SocketChannel c, int length, int sent) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + sent).putInt(length);
        b.put((byte) 1); // a hello's type; the rest zeros
        b.position(4 + sent).flip();
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    /** True once the server closed {@code c} (reads until the end; a bounded test catches a hang). */
    private static boolean closedByServer(SocketChannel c) throws IOException {
        ByteBuffer sink = ByteBuffer.allocate(4096);
        try {
            while (c.read(sink.clear()) >= 0) {
                // a refusal's answer, if any
            }
        } catch (IOException reset) {
            // closed with our bytes unread: the same
        }
        return true;
    }

    private long diagnostics(String text) {
        return manager.diagnostics().stream().filter(d -> d.kind() == Diagnostic.Kind.PORT && d.message().contains(text)).count();
    }

    @Test
    void theReaderGrowsWithTheBytesThatComeNotWithTheLengthAnnounced() throws Exception {
        PortWire.Reader r = new PortWire.Reader();
        byte[] head = ByteBuffer.allocate(14).putInt(PortWire.MAX_MESSAGE).put((byte) 4).array();
        r.fill(source(head));
        assertThat(r.next()).isNull();
        assertThat(r.capacity()).as("a 1 MiB frame announced, 14 bytes come").isEqualTo(PortWire.Reader.INITIAL);
        long came = head.length;
        while (came < 200_000) {
            int n = r.fill(source(new byte[50_000]));
            came += n;
            assertThat(r.next()).isNull();
            assertThat((long) r.capacity()).as("after %d bytes", came).isLessThanOrEqualTo(Math.max(PortWire.Reader.INITIAL, 2 * came));
        }
    }

    @Test
    void aDescriptorSocketsNonceIsExactlyItsLengthNeverPaddedOrCut() throws Exception {
        for (int length : new int[] {0, PortWire.NONCE - 1, PortWire.NONCE + 1}) {
            assertThatThrownBy(() -> new PortWire.FileChannel(new byte[length])).as("%d bytes", length)
                    .isInstanceOfSatisfying(NtStatusException.class,
                            e -> assertThat(e.status()).isEqualTo(NtStatus.INVALID_PARAMETER));
        }
        byte[] nonce = new byte[PortWire.NONCE];
        java.util.Arrays.fill(nonce, (byte) 7);
        PortWire.Reader r = new PortWire.Reader();
        r.fill(source(PortWire.encode(new PortWire.FileChannel(nonce)).array()));
        assertThat(((PortWire.FileChannel) r.next()).nonce()).isEqualTo(nonce);
    }

    @Test
    void beforeItsHelloAConnectionMaySendOneSmallFrameOnly() throws Exception {
        port();
        SocketChannel c = connect();
        announce(c, PortWire.MAX_HELLO + 1, 16);
        assertThat(closedByServer(c)).isTrue();
        Await.until("the diagnostic", () -> diagnostics("outside 1.." + PortWire.MAX_HELLO) == 1);
        assertThatThrownBy(() -> {
            PortWire.Reader r = new PortWire.Reader();
            r.limit(PortWire.MAX_HELLO);
            r.fill(source(ByteBuffer.allocate(8).putInt(PortWire.MAX_HELLO + 1).array()));
            r.next();
        }).isInstanceOf(PortWire.WireException.class);
    }

    @Test
    void aThousandConnectionsAnnouncingLargeFramesAreCappedAndTheRestClosed() throws Exception {
        port();
        int before = portThreads();
        for (int i = 0; i < 1000; i++) {
            SocketChannel c = connect();
            try {
                announce(c, PortWire.MAX_HELLO, 1000);
            } catch (IOException closedAlready) {
                // over the cap: the server may have closed it before the bytes went out
            }
        }
        // every connection past the cap is closed at once, with a reason
        Await.until("the connections over the cap closed", () -> diagnostics("waiting to be accepted already")
                == 1000 - PortListener.MAX_UNACCEPTED);
        assertThat(portThreads() - before).isLessThanOrEqualTo(PortListener.MAX_UNACCEPTED);
        int closed = 0;
        for (SocketChannel c : opened.subList(PortListener.MAX_UNACCEPTED, opened.size())) {
            if (closedByServer(c)) {
                closed++;
            }
        }
        assertThat(closed).isEqualTo(1000 - PortListener.MAX_UNACCEPTED);
        // once the waiting ones go, a real client is served again
        for (SocketChannel c : opened) {
            c.close();
        }
        Await.until("the waiting connections gone", () -> portThreads() <= before);
        try (FilterClient client = FilterClient.connect(dir.resolve("ports"), "boundedPort", null)) {
            assertThat(client.isConnected()).isTrue();
        }
    }

    @Test
    void aConnectionWithoutAHelloIsClosedAfterTheHelloTimeout() throws Exception {
        port();
        SocketChannel idle = connect();
        announce(idle, 100, 10); // a hello begun, never finished
        assertThat(closedByServer(idle)).isTrue();
        assertThat(diagnostics("no hello within " + PortListener.HELLO_TIMEOUT_MILLIS + " ms")).isEqualTo(1);
    }

    private static int portThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("altitude-port-boundedPort-conn"))
                .count();
    }

    /** A channel of fixed bytes. */
    private static java.nio.channels.ReadableByteChannel source(byte[] bytes) {
        return java.nio.channels.Channels.newChannel(new java.io.ByteArrayInputStream(bytes));
    }
}
