package dev.altitude.cli;

import dev.altitude.core.FilterManager;
import dev.altitude.core.HolderKind;
import dev.altitude.core.UnloadReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The daemon's live counters ({@code altitude mount --stats}), from its own JFR events (every callback and port
 * message, streamed): per instance, operations by major function (each pre-operation or, for a filter with only a
 * post-operation, each post), non-success statuses by name, callback latency over a sliding window (HdrHistogram:
 * the last full window of {@link #WINDOW} and the one under way), port messages and their waits. What is held now
 * (pended operations, owed post-operations, context references) comes from the manager's own report when asked.
 * Recording every callback costs about 0.2 µs per callback (docs/PERFORMANCE.md): the counters are the daemon's
 * choice, not a default.
 */
final class Stats implements AutoCloseable {
    static final Duration WINDOW = Duration.ofSeconds(30);

    /** One instance's counters. */
    static final class Counters {
        final Map<String, LongAdder> byMajor = new ConcurrentHashMap<>();
        final Map<String, LongAdder> nonSuccess = new ConcurrentHashMap<>();
        final LongAdder failures = new LongAdder();
        final LongAdder portMessages = new LongAdder();
        final Recorder latency = new Recorder(3);
        final Recorder portWaits = new Recorder(3);
        volatile Histogram lastLatency = new Histogram(3);
        volatile Histogram lastPortWaits = new Histogram(3);

        /** The last full window and the one under way (the recorder's interval so far is taken and kept). */
        synchronized Histogram latencyWindow() {
            return window(latency, lastLatency, h -> lastLatency = h);
        }

        synchronized Histogram portWaitWindow() {
            return window(portWaits, lastPortWaits, h -> lastPortWaits = h);
        }

        private static Histogram window(Recorder r, Histogram last, java.util.function.Consumer<Histogram> keep) {
            Histogram now = r.getIntervalHistogram();
            Histogram merged = last.copy();
            merged.add(now);
            Histogram carried = last.copy();
            carried.add(now);
            keep.accept(carried);
            return merged;
        }

        synchronized void rotate() {
            Histogram l = latency.getIntervalHistogram();
            lastLatency = l;
            Histogram p = portWaits.getIntervalHistogram();
            lastPortWaits = p;
        }
    }

    private final FilterManager manager;
    private final RecordingStream stream = new RecordingStream();
    /** By "filter\0instance" (a port message: "filter\0" — the filter's, not an instance's). */
    private final Map<String, Counters> counters = new ConcurrentHashMap<>();
    private final Thread rotation;

    Stats(FilterManager manager) {
        this.manager = manager;
        stream.enable("dev.altitude.Callback").withThreshold(Duration.ZERO);
        stream.enable("dev.altitude.PortMessage");
        stream.setMaxAge(Duration.ofSeconds(5));
        stream.onEvent("dev.altitude.Callback", this::callback);
        stream.onEvent("dev.altitude.PortMessage", this::portMessage);
        stream.startAsync();
        rotation = Thread.ofPlatform().daemon().name("altitude-stats").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(WINDOW); // a period, not a wait for another thread: each tick starts a window
                } catch (InterruptedException e) {
                    return;
                }
                counters.values().forEach(Counters::rotate);
            }
        });
    }

    private static String key(String filter, String instance) {
        return filter + "\0" + (instance == null ? "" : instance);
    }

    private Counters of(String filter, String instance) {
        return counters.computeIfAbsent(key(filter, instance), k -> new Counters());
    }

    private void callback(RecordedEvent e) {
        Counters c = of(e.getString("filter"), e.getString("instance"));
        String cb = e.getString("callback");
        if (cb.equals("pre")) {
            c.byMajor.computeIfAbsent(e.getString("major"), k -> new LongAdder()).increment();
        }
        if (cb.startsWith("post")) {
            String status = e.getString("status");
            if (!"STATUS_SUCCESS".equals(status)) {
                c.nonSuccess.computeIfAbsent(status, k -> new LongAdder()).increment();
            }
            if (e.getBoolean("failure")) {
                c.failures.increment();
            }
        }
        c.latency.recordValue(Math.max(0, e.getDuration().toNanos()));
    }

    private void portMessage(RecordedEvent e) {
        Counters c = of(e.getString("filter"), null);
        c.portMessages.increment();
        c.portWaits.recordValue(Math.max(0, e.getDuration().toNanos()));
    }

    /** One instance's (or, with {@code instance} null, one filter's merged) figures now. */
    record Row(String filter, String instance, long operations, Map<String, Long> byMajor, long failures,
               Map<String, Long> nonSuccess, long callbacks, double p50Micros, double p99Micros, double maxMicros,
               long portMessages, double portWaitP99Micros, int pended, int owedPosts, int contextReferences) {
    }

    List<Row> instances() {
        List<Row> rows = new ArrayList<>();
        for (var i : manager.instances()) {
            rows.add(row(i.filter(), List.of(i.instance()), true));
        }
        return rows;
    }

    List<Row> filters() {
        List<Row> rows = new ArrayList<>();
        for (var f : manager.filters()) {
            List<String> names = manager.instances().stream().filter(i -> i.filter().equals(f.name()))
                    .map(FilterManager.InstanceInfo::instance).toList();
            rows.add(row(f.name(), names, false));
        }
        return rows;
    }

    private Row row(String filter, List<String> instances, boolean oneInstance) {
        Map<String, Long> byMajor = new TreeMap<>();
        Map<String, Long> nonSuccess = new TreeMap<>();
        long failures = 0;
        Histogram latency = new Histogram(3);
        for (String i : instances) {
            Counters c = counters.get(key(filter, i));
            if (c == null) {
                continue;
            }
            c.byMajor.forEach((k, v) -> byMajor.merge(k, v.sum(), Long::sum));
            c.nonSuccess.forEach((k, v) -> nonSuccess.merge(k, v.sum(), Long::sum));
            failures += c.failures.sum();
            latency.add(c.latencyWindow());
        }
        Counters port = oneInstance ? null : counters.get(key(filter, null));
        long messages = port == null ? 0 : port.portMessages.sum();
        double waitP99 = port == null ? 0 : port.portWaitWindow().getValueAtPercentile(99) / 1000.0;
        int pended = 0;
        int owed = 0;
        int contexts = 0;
        UnloadReport r = manager.explain(filter).orElse(null);
        if (r != null) {
            for (UnloadReport.Entry e : r.holders()) {
                if (oneInstance && !instances.contains(e.instance())) {
                    continue;
                }
                if (e.kind() == HolderKind.PENDED_PRE_OPERATION || e.kind() == HolderKind.PENDED_POST_OPERATION) {
                    pended++;
                } else if (e.kind() == HolderKind.OWED_POST_OPERATION) {
                    owed++;
                } else if (e.kind() == HolderKind.CONTEXT_REFERENCE) {
                    contexts++;
                }
            }
        }
        long ops = byMajor.values().stream().mapToLong(Long::longValue).sum();
        return new Row(filter, oneInstance ? instances.getFirst() : null, ops, byMajor, failures, nonSuccess,
                latency.getTotalCount(), latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(99) / 1000.0,
                latency.getMaxValue() / 1000.0, messages, waitP99, pended, owed, contexts);
    }

    /** Runs {@code r} after each batch of events the stream delivered (what a test waits on). */
    void afterEachFlush(Runnable r) {
        stream.onFlush(r);
    }

    /** The figures for a fleet's collector ({@code altitude mount --metrics}): per instance, per filter, per volume. */
    List<dev.altitude.metrics.MetricsEndpoint.Sample> samples() {
        List<dev.altitude.metrics.MetricsEndpoint.Sample> out = new ArrayList<>();
        for (Row r : instances()) {
            Map<String, String> at = Map.of("filter", r.filter(), "instance", r.instance());
            r.byMajor().forEach((major, n) -> out.add(sample(dev.altitude.metrics.MetricsEndpoint.Metric.OPERATIONS,
                    Map.of("filter", r.filter(), "instance", r.instance(), "major", major), n)));
            out.add(sample(dev.altitude.metrics.MetricsEndpoint.Metric.FAILURES, at, r.failures()));
            out.add(sample(dev.altitude.metrics.MetricsEndpoint.Metric.CALLBACK_LATENCY_P99, at, r.p99Micros()));
            out.add(sample(dev.altitude.metrics.MetricsEndpoint.Metric.PENDED, at, r.pended()));
            out.add(sample(dev.altitude.metrics.MetricsEndpoint.Metric.OWED_POSTS, at, r.owedPosts()));
        }
        for (Row r : filters()) {
            out.add(sample(dev.altitude.metrics.MetricsEndpoint.Metric.PORT_MESSAGES, Map.of("filter", r.filter()), r.portMessages()));
        }
        out.add(sample(dev.altitude.metrics.MetricsEndpoint.Metric.FILTERS, Map.of(), manager.filters().size()));
        for (var v : manager.volumes()) {
            out.add(sample(dev.altitude.metrics.MetricsEndpoint.Metric.INSTANCES, Map.of("volume", v.name()), v.instances()));
        }
        return out;
    }

    private static dev.altitude.metrics.MetricsEndpoint.Sample sample(dev.altitude.metrics.MetricsEndpoint.Metric m,
                                                                       Map<String, String> at, double v) {
        return new dev.altitude.metrics.MetricsEndpoint.Sample(m, at, v);
    }

    @Override
    public void close() {
        rotation.interrupt();
        stream.close();
    }
}
