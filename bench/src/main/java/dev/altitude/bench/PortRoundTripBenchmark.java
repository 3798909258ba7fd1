package dev.altitude.bench;

import dev.altitude.core.ClientPort;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PortCallbacks;
import dev.altitude.core.PortResult;
import dev.altitude.core.ServerPort;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A filter's message to a user-mode client in another process and its reply ({@code FltSendMessage} with
 * a reply buffer, over the port's Unix socket), against the baseline of the same bytes sent and echoed
 * over a bare Unix socket to another process. Same message size, same process layout; the ratio is the
 * cost of the port protocol.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class PortRoundTripBenchmark {
    @Param({"64", "4096"})
    int size;

    private Path dir;
    private FilterManager manager;
    private Filter filter;
    private ServerPort port;
    private final CompletableFuture<ClientPort> client = new CompletableFuture<>();
    private Process portClient;
    private Process rawServer;
    private SocketChannel raw;
    private byte[] message;
    private ByteBuffer rawOut;
    private ByteBuffer rawIn;
    private ByteBuffer rawLen;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("altitude-bench");
        message = new byte[size];
        manager = FilterManager.builder().portDirectory(dir.resolve("ports")).build();
        FilterDriver driver = (mgr, config) -> {
            filter = mgr.registerFilter(FilterRegistration.builder("bench").altitude("100000").onUnload(flags -> {
                port.close();
                filter.unregister();
                return NtStatus.SUCCESS;
            }).build());
            port = filter.createCommunicationPort("benchPort", 1, PortCallbacks.of(
                    (c, ctx, peer) -> {
                        client.complete(c);
                        return NtStatus.SUCCESS;
                    }, ClientPort::close));
            return filter.startFiltering();
        };
        manager.registerDriver("bench", () -> driver);
        check(manager.loadFilter("bench"));
        portClient = start("port", dir.resolve("ports").toString(), "benchPort");
        client.get(30, TimeUnit.SECONDS);

        Path socket = dir.resolve("raw.sock");
        rawServer = start("raw", socket.toString());
        raw = SocketChannel.open(StandardProtocolFamily.UNIX);
        raw.connect(UnixDomainSocketAddress.of(socket));
        rawOut = ByteBuffer.allocate(4 + size).putInt(size).put(message).flip();
        rawIn = ByteBuffer.allocate(size);
        rawLen = ByteBuffer.allocate(4);
    }

    private static void check(NtStatus s) {
        if (s.isFailure()) {
            throw new IllegalStateException(s.toString());
        }
    }

    private static Process start(String... args) throws IOException {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), EchoProcess.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line = new BufferedReader(new InputStreamReader(p.getInputStream())).readLine();
        if (!"ready".equals(line)) {
            p.destroyForcibly();
            throw new IllegalStateException("echo process said " + line);
        }
        return p;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        raw.close();
        manager.close();
        portClient.destroyForcibly();
        rawServer.destroyForcibly();
    }

    @Benchmark
    public byte[] portRoundTrip() throws Exception {
        PortResult r = filter.sendMessage(client.getNow(null), message, size, Duration.ofSeconds(10));
        if (!r.status().equals(NtStatus.SUCCESS)) {
            throw new IllegalStateException(r.status().toString());
        }
        return r.data();
    }

    @Benchmark
    public ByteBuffer rawUnixSocketRoundTrip() throws IOException {
        RawPingPong.writeFully(raw, rawOut.rewind());
        RawPingPong.readFully(raw, rawLen.clear());
        RawPingPong.readFully(raw, rawIn.clear());
        return rawIn;
    }
}
