package dev.altitude.bench;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.FilterManager;
import dev.altitude.core.NtStatus;
import dev.altitude.nio.AltitudeFileSystem;
import dev.altitude.nio.AltitudeFileSystemProvider;
import dev.altitude.samples.passthrough.PassThrough;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * Cached positional reads and writes of 4 KiB and 64 KiB through a {@code FileChannel}: of the JDK's own
 * provider ({@code raw}, the baseline) and of an Altitude volume over the same directory with 0, 1 and 3
 * pass-through filters (pre and post for every major function, doing nothing). The file (1 MiB) stays in
 * the page cache; positions cycle through it. Run with {@code -prof gc} for the allocation per operation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class NioBenchmark {
    private static final int FILE = 1 << 20;

    @Param({"4096", "65536"})
    int size;

    @Param({"raw", "0", "1", "3"})
    String filters;

    private Path dir;
    private FilterManager manager;
    private AltitudeFileSystem fs;
    private FileChannel channel;
    private ByteBuffer buffer;
    private long position;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("altitude-nio-bench");
        Files.write(dir.resolve("data"), new byte[FILE]);
        Path file;
        if (filters.equals("raw")) {
            file = dir.resolve("data");
        } else {
            manager = FilterManager.create();
            fs = AltitudeFileSystemProvider.mount(manager, "bench", dir);
            for (int i = 0; i < Integer.parseInt(filters); i++) {
                loadPassThrough(manager, "pass" + i, Integer.toString(300000 + i * 1000));
            }
            file = fs.getPath("/data");
        }
        channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        buffer = ByteBuffer.allocateDirect(size);
    }

    /** Loads the passThrough sample under {@code name} at {@code altitude}: a pre and a post for every major function. */
    static void loadPassThrough(FilterManager manager, String name, String altitude) {
        manager.registerDriver(name, PassThrough::new);
        NtStatus s = manager.loadFilter(DriverConfig.of(name).withAltitude(altitude));
        if (s.isFailure()) {
            throw new IllegalStateException("load " + name + ": " + s);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        channel.close();
        if (fs != null) {
            fs.close();
            manager.close();
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private long next() {
        long at = position;
        position = (position + size) % FILE;
        return at;
    }

    @Benchmark
    public int read() throws IOException {
        buffer.clear();
        return channel.read(buffer, next());
    }

    @Benchmark
    public int write() throws IOException {
        buffer.clear();
        return channel.write(buffer, next());
    }
}
