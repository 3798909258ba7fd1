package dev.altitude.metrics;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.exporter.prometheus.PrometheusHttpServer;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A filter manager's figures for a fleet's collector: a Prometheus endpoint ({@code http://HOST:PORT/metrics})
 * served by OpenTelemetry's Java SDK, and OTLP over HTTP to a collector when one is configured. The daemon gives the figures as {@link Sample}s, asked for at each scrape; each
 * {@link Metric} is one instrument (a counter or a gauge) whose samples carry their attributes (filter, instance,
 * major function).
 */
public final class MetricsEndpoint implements AutoCloseable {
    /** The instruments, by OpenTelemetry name; Prometheus shows {@code altitude_operations_total} and the like. */
    public enum Metric {
        OPERATIONS("altitude.operations", true, "operations an instance saw, by major function"),
        FAILURES("altitude.failures", true, "operations an instance saw end in a failure status"),
        PORT_MESSAGES("altitude.port.messages", true, "messages a filter sent to user mode"),
        CALLBACK_LATENCY_P99("altitude.callback.latency.p99.micros", false, "99th percentile of an instance's callbacks, recent window"),
        PENDED("altitude.pended", false, "operations an instance holds pended now"),
        OWED_POSTS("altitude.owed.posts", false, "post-operations an instance owes now"),
        FILTERS("altitude.filters", false, "filters loaded"),
        INSTANCES("altitude.instances", false, "instances attached, by volume");

        final String otelName;
        final boolean counter;
        final String description;

        Metric(String otelName, boolean counter, String description) {
            this.otelName = otelName;
            this.counter = counter;
            this.description = description;
        }
    }

    /** One value of one instrument with its attributes. */
    public record Sample(Metric metric, Map<String, String> attributes, double value) {
    }

    private final SdkMeterProvider provider;

    private MetricsEndpoint(String host, int port, java.net.URI otlp, java.time.Duration otlpInterval, Supplier<List<Sample>> source) {
        var builder = SdkMeterProvider.builder();
        if (port > 0) {
            builder.registerMetricReader(PrometheusHttpServer.builder().setHost(host).setPort(port).build());
        }
        if (otlp != null) {
            builder.registerMetricReader(io.opentelemetry.sdk.metrics.export.PeriodicMetricReader.builder(
                    io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter.builder().setEndpoint(otlp.toString()).build())
                    .setInterval(otlpInterval).build());
        }
        provider = builder
                .setResource(io.opentelemetry.sdk.resources.Resource.getDefault().merge(io.opentelemetry.sdk.resources.Resource.create(
                        Attributes.of(io.opentelemetry.api.common.AttributeKey.stringKey("service.name"), "altitude"))))
                .build();
        Meter meter = provider.get("dev.altitude");
        for (Metric m : Metric.values()) {
            if (m.counter) {
                meter.counterBuilder(m.otelName).setDescription(m.description).ofDoubles()
                        .buildWithCallback(r -> each(source, m, (v, a) -> r.record(v, a)));
            } else {
                meter.gaugeBuilder(m.otelName).setDescription(m.description)
                        .buildWithCallback(r -> each(source, m, (v, a) -> r.record(v, a)));
            }
        }
    }

    private interface Record {
        void record(double value, Attributes attributes);
    }

    private static void each(Supplier<List<Sample>> source, Metric m, Record r) {
        for (Sample s : source.get()) {
            if (s.metric() == m) {
                AttributesBuilder b = Attributes.builder();
                s.attributes().forEach(b::put);
                r.record(s.value(), b.build());
            }
        }
    }

    /** Serves the figures at {@code http://host:port/metrics} until closed. */
    public static MetricsEndpoint start(String host, int port, Supplier<List<Sample>> source) {
        return new MetricsEndpoint(host, port, null, null, source);
    }

    /**
     * Serves the figures for Prometheus at {@code http://host:port/metrics} ({@code port} 0: none) and, with
     * {@code otlp} (an OTLP/HTTP metrics URL, {@code http://collector:4318/v1/metrics}), sends them there every
     * {@code interval}.
     */
    public static MetricsEndpoint start(String host, int port, java.net.URI otlp, java.time.Duration interval,
                                        Supplier<List<Sample>> source) {
        return new MetricsEndpoint(host, port, otlp, interval, source);
    }

    @Override
    public void close() {
        provider.close();
    }
}
