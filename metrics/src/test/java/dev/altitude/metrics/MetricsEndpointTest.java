package dev.altitude.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** OTLP over HTTP, configured: a receiver on loopback gets the daemon's figures, named and with their attributes. */
@Timeout(60)
class MetricsEndpointTest {
    @Test
    void theFiguresGoToAnOtlpReceiverWhenOneIsConfigured() throws Exception {
        HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        CompletableFuture<byte[]> first = new CompletableFuture<>();
        receiver.createContext("/v1/metrics", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            first.complete(body);
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        AtomicInteger asked = new AtomicInteger();
        try (MetricsEndpoint m = MetricsEndpoint.start(null, 0,
                URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/v1/metrics"), Duration.ofMillis(200), () -> {
                    asked.incrementAndGet();
                    return List.of(new MetricsEndpoint.Sample(MetricsEndpoint.Metric.OPERATIONS,
                            Map.of("filter", "scanner", "instance", "scanner Instance", "major", "CREATE"), 42));
                })) {
            byte[] body = first.get(30, TimeUnit.SECONDS);
            String text = new String(body, StandardCharsets.ISO_8859_1); // protobuf: its strings are there as bytes
            assertThat(text).contains("altitude.operations").contains("scanner Instance").contains("CREATE").contains("altitude");
            assertThat(asked.get()).isPositive();
        } finally {
            receiver.stop(0);
        }
    }
}
