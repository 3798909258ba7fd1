package dev.altitude.bench;

import dev.altitude.core.CallbackData;
import dev.altitude.core.FileObject;
import dev.altitude.core.FilterManager;
import dev.altitude.core.IoParameters;
import dev.altitude.core.NtStatus;
import dev.altitude.core.Volume;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Unload latency and what an unload does to everybody else's I/O, on a volume over a backend that completes
 * every operation at once (so that only the filter manager is measured):
 * <ul>
 * <li>the time {@code unloadFilter} takes for a pass-through filter, idle and with 2 threads doing I/O
 *     through it (cycles of load then unload);</li>
 * <li>the p99 latency of operations through another filter that stays, on one thread, while a third filter is
 *     loaded and unloaded over and over, against the same without the churn.</li>
 * </ul>
 * Prints one JSON object. {@code java -cp bench/target/benchmarks.jar dev.altitude.bench.UnloadLatency [cycles]}
 */
public final class UnloadLatency {
    private UnloadLatency() {
    }

    private static long[] unloads(FilterManager manager, int cycles) {
        long[] t = new long[cycles];
        for (int i = 0; i < cycles; i++) {
            NioBenchmark.loadPassThrough(manager, "churn", "350000");
            long t0 = System.nanoTime();
            NtStatus s = manager.unloadFilter("churn");
            t[i] = System.nanoTime() - t0;
            if (s.isFailure()) {
                throw new IllegalStateException("unload: " + s);
            }
        }
        return t;
    }

    private static void io(Volume v, FileObject fo, ByteBuffer b) {
        CallbackData d = new CallbackData(fo, new IoParameters.Read(0, b.clear()));
        v.perform(d);
    }

    private static String stats(long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        return String.format(Locale.ROOT, "{\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,\"n\":%d}", s[s.length / 2] / 1e3,
                s[(int) (s.length * 0.99)] / 1e3, s[s.length - 1] / 1e3, s.length);
    }

    private static long p99(long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        return s[(int) (s.length * 0.99)];
    }

    /** Per-operation latencies of {@code n} operations on this thread. */
    private static long[] opLatencies(Volume v, int n) {
        FileObject fo = new FileObject("/f");
        ByteBuffer b = ByteBuffer.allocate(16);
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            io(v, fo, b);
            t[i] = System.nanoTime() - t0;
        }
        return t;
    }

    public static void main(String[] args) throws Exception {
        int cycles = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        try (FilterManager manager = FilterManager.create()) {
            Volume v = manager.mountVolume("v", new DispatchBenchmark.NullBackend());
            NioBenchmark.loadPassThrough(manager, "stay", "360000");
            unloads(manager, cycles / 4); // warm-up
            long[] idle = unloads(manager, cycles);

            AtomicBoolean running = new AtomicBoolean(true);
            Thread[] io = new Thread[2];
            for (int i = 0; i < io.length; i++) {
                io[i] = Thread.ofPlatform().start(() -> {
                    FileObject fo = new FileObject("/f");
                    ByteBuffer b = ByteBuffer.allocate(16);
                    while (running.get()) {
                        io(v, fo, b);
                    }
                });
            }
            long[] loaded = unloads(manager, cycles);
            running.set(false);
            for (Thread t : io) {
                t.join();
            }

            int n = 2_000_000;
            opLatencies(v, n); // warm-up
            long[] base = opLatencies(v, n);
            AtomicBoolean churning = new AtomicBoolean(true);
            Thread churn = Thread.ofPlatform().start(() -> {
                while (churning.get()) {
                    NioBenchmark.loadPassThrough(manager, "churn", "350000");
                    manager.unloadFilter("churn");
                }
            });
            long[] during = opLatencies(v, n);
            churning.set(false);
            churn.join();
            System.out.printf(Locale.ROOT, "{\"unload_idle\":%s,\"unload_under_io\":%s,\"ops_p99_ns\":%d,\"ops_p99_during_unloads_ns\":%d}%n",
                    stats(idle), stats(loaded), p99(base), p99(during));
        }
    }
}
