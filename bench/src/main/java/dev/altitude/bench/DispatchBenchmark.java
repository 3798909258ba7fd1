package dev.altitude.bench;

import dev.altitude.core.CallbackData;
import dev.altitude.core.FileObject;
import dev.altitude.core.FilterManager;
import dev.altitude.core.IoParameters;
import dev.altitude.core.NtStatus;
import dev.altitude.core.Volume;
import dev.altitude.core.VolumeBackend;
import java.nio.ByteBuffer;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of the dispatch itself: one READ through a volume with 0, 1, 3 and 10 pass-through filters (a pre
 * and a post each, doing nothing) over a backend that does nothing but complete it, on 1 and on 2 threads.
 * The cost per filter is (time with n filters − time with none) / n; run with {@code -prof gc} for the
 * allocation per operation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Benchmark)
public class DispatchBenchmark {
    @Param({"0", "1", "3", "10"})
    int filters;

    private FilterManager manager;
    private Volume volume;

    /** Completes every operation at once: what is measured is the filter stack. */
    static final class NullBackend implements VolumeBackend {
        @Override
        public String fileSystemType() {
            return "null";
        }

        @Override
        public void perform(CallbackData data) {
            data.complete(NtStatus.SUCCESS, data.parameters() instanceof IoParameters.Read r ? r.buffer().remaining() : 0);
        }
    }

    @State(Scope.Thread)
    public static class PerThread {
        final FileObject file = new FileObject("/f");
        final ByteBuffer buffer = ByteBuffer.allocate(16);
    }

    @Setup(Level.Trial)
    public void setUp() {
        manager = FilterManager.create();
        volume = manager.mountVolume("v", new NullBackend());
        for (int i = 0; i < filters; i++) {
            NioBenchmark.loadPassThrough(manager, "pass" + i, Integer.toString(300000 + i * 1000));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    private long read(PerThread t) {
        CallbackData d = new CallbackData(t.file, new IoParameters.Read(0, t.buffer.clear()));
        volume.perform(d);
        return d.information();
    }

    @Benchmark
    @Threads(1)
    public long read1Thread(PerThread t) {
        return read(t);
    }

    @Benchmark
    @Threads(2)
    public long read2Threads(PerThread t) {
        return read(t);
    }
}
