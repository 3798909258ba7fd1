package dev.altitude.bench;

import dev.altitude.core.FilterManager;
import dev.altitude.nio.AltitudeFileSystem;
import dev.altitude.nio.AltitudeFileSystemProvider;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Comparator;
import java.util.List;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The common small-file calls of {@code Files}, on the JDK's own provider ({@code raw}, the baseline) and on an
 * Altitude volume over the same directory with 0, 1 and 3 pass-through filters: {@code exists},
 * {@code readAttributes}, {@code readAllBytes} and {@code writeString} of 1 KiB, a directory stream of 100 entries,
 * and a walk and copy (with {@code COPY_ATTRIBUTES}) of a tree of 3,000 files (30 directories of 100). The files are
 * in {@code /dev/shm} where there is one (tmpfs), so that the disk's journal does not drown the calls' own cost.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class NioSmallFileBenchmark {
    static final int TREE_DIRECTORIES = 30;
    static final int PER_DIRECTORY = 100;

    @Param({"raw", "0", "1", "3"})
    String filters;

    private Path dir;
    private FilterManager manager;
    private AltitudeFileSystem fs;
    /** The directory as the benchmark sees it: of the JDK's provider or of the volume. */
    private Path root;
    private Path small;
    private Path written;
    private Path listed;
    private Path tree;
    private String kib;
    private int copies;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        // in memory where the machine has it (tmpfs): what is measured is the calls' own path, not the disk's journal
        Path shm = Path.of("/dev/shm");
        dir = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "altitude-small-bench")
                : Files.createTempDirectory("altitude-small-bench");
        kib = "x".repeat(1024);
        Files.writeString(dir.resolve("small"), kib);
        Path list = Files.createDirectory(dir.resolve("listed"));
        for (int i = 0; i < PER_DIRECTORY; i++) {
            Files.writeString(list.resolve("f" + i), "x");
        }
        Path t = Files.createDirectory(dir.resolve("tree"));
        for (int d = 0; d < TREE_DIRECTORIES; d++) {
            Path sub = Files.createDirectory(t.resolve("d" + d));
            for (int i = 0; i < PER_DIRECTORY; i++) {
                Files.writeString(sub.resolve("f" + i), "small file " + i);
            }
        }
        Files.createDirectory(dir.resolve("copies"));
        if (filters.equals("raw")) {
            root = dir;
        } else {
            manager = FilterManager.create();
            fs = AltitudeFileSystemProvider.mount(manager, "bench", dir);
            for (int i = 0; i < Integer.parseInt(filters); i++) {
                NioBenchmark.loadPassThrough(manager, "pass" + i, Integer.toString(300000 + i * 1000));
            }
            root = fs.getPath("/");
        }
        small = root.resolve("small");
        written = root.resolve("written");
        listed = root.resolve("listed");
        tree = root.resolve("tree");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (fs != null) {
            fs.close();
            manager.close();
        }
        deleteTree(dir);
    }

    private static void deleteTree(Path top) throws IOException {
        try (Stream<Path> all = Files.walk(top)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Benchmark
    public boolean exists() {
        return Files.exists(small);
    }

    @Benchmark
    public BasicFileAttributes readAttributes() throws IOException {
        return Files.readAttributes(small, BasicFileAttributes.class);
    }

    @Benchmark
    public byte[] readAllBytes() throws IOException {
        return Files.readAllBytes(small);
    }

    @Benchmark
    public Path writeString() throws IOException {
        return Files.writeString(written, kib);
    }

    @Benchmark
    public int directoryStream(Blackhole bh) throws IOException {
        int n = 0;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(listed)) {
            for (Path p : s) {
                bh.consume(p);
                n++;
            }
        }
        return n;
    }

    /** Walks the tree of 3,000 files and copies each (attributes too) into a new directory; the copy is then removed, untimed. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Measurement(iterations = 10, time = 3)
    public int walkAndCopy() throws IOException {
        Path target = root.resolve("copies").resolve("c" + copies++);
        List<Path> all;
        try (Stream<Path> walk = Files.walk(tree)) {
            all = walk.toList();
        }
        for (Path p : all) {
            Files.copy(p, target.resolve(tree.relativize(p).toString()), StandardCopyOption.COPY_ATTRIBUTES);
        }
        return all.size();
    }

    @TearDown(Level.Iteration)
    public void removeCopies() throws IOException {
        Path copiesDir = dir.resolve("copies");
        deleteTree(copiesDir);
        Files.createDirectory(copiesDir);
    }
}
