package dev.altitude.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code altitude mount --metrics}: a real Prometheus server (Debian's) scrapes the daemon and its HTTP API answers
 * for a counter that moved with the I/O through the mount.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MetricsPrometheusTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void fuse() {
        Daemon.assumeFuse();
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/prometheus")), "prometheus is not installed (apt-get install prometheus)");
    }

    private static int freePort() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String get(HttpClient http, String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    @Test
    void prometheusScrapesTheDaemonAndSeesItsOperationsCounterMove() throws Exception {
        int metrics = freePort();
        int web = freePort();
        try (Daemon d = Daemon.start(dir, "--filter", "passthrough", "--metrics", "127.0.0.1:" + metrics)) {
            Files.writeString(d.source.resolve("a.txt"), "counted");
            Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, """
                    global:
                      scrape_interval: 1s
                    scrape_configs:
                      - job_name: altitude
                        static_configs:
                          - targets: ['127.0.0.1:%d']
                    """.formatted(metrics));
            Path log = dir.resolve("prometheus.log");
            Process prometheus = new ProcessBuilder("/usr/bin/prometheus", "--config.file=" + config,
                    "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + web)
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start(); // to a file: nothing reads a pipe
            HttpClient http = HttpClient.newHttpClient();
            try {
                assertThat(d.shell(null, "cat a.txt").out()).isEqualTo("counted");
                String query = "http://127.0.0.1:" + web + "/api/v1/query?query=sum(altitude_operations_total%7Bfilter%3D%22passthrough%22%2Cmajor%3D%22READ%22%7D)";
                String answer = "";
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90); // a hang guard: scrapes come every second
                while (!answer.matches("(?s)200 .*\"value\":\\[[0-9.]+,\"[1-9][0-9]*(\\.[0-9]+)?\"\\].*")) {
                    assertThat(System.nanoTime()).as("prometheus sees the counter: %s\n%s", answer,
                            Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "").isLessThan(end);
                    try {
                        answer = get(http, query);
                    } catch (java.io.IOException notYet) {
                        answer = notYet.toString(); // the server is still starting
                    }
                    if (!answer.contains("\"value\"")) {
                        prometheus.waitFor(500, TimeUnit.MILLISECONDS); // it exits only on failure: the bound of one look
                    }
                    assertThat(prometheus.isAlive()).as(Files.readString(log, StandardCharsets.UTF_8)).isTrue();
                }
                String before = answer.replaceAll("(?s).*\"value\":\\[[0-9.]+,\"([0-9.]+)\"\\].*", "$1");
                assertThat(d.shell(null, "cat a.txt a.txt").out()).isEqualTo("countedcounted");
                String after = before;
                while (Double.parseDouble(after) <= Double.parseDouble(before)) {
                    assertThat(System.nanoTime()).as("the counter moves after more reads").isLessThan(end);
                    prometheus.waitFor(500, TimeUnit.MILLISECONDS);
                    after = get(http, query).replaceAll("(?s).*\"value\":\\[[0-9.]+,\"([0-9.]+)\"\\].*", "$1");
                }
                assertThat(Double.parseDouble(after)).isGreaterThan(Double.parseDouble(before));
                assertThat(get(http, "http://127.0.0.1:" + web + "/api/v1/query?query=altitude_filters")).contains("\"1\"");
            } finally {
                prometheus.destroy();
                if (!prometheus.waitFor(30, TimeUnit.SECONDS)) {
                    prometheus.destroyForcibly();
                }
            }
            d.stop();
        }
    }
}
