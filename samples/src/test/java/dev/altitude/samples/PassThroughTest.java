package dev.altitude.samples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.NtStatus;
import dev.altitude.samples.passthrough.PassThrough;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class PassThroughTest extends SampleFixture {
    private final List<String> trace = Collections.synchronizedList(new ArrayList<>());

    /** Writes, appends, copies, moves, lists, reads attributes and deletes under {@code root}; returns what it read. */
    private static List<String> workload(Path root, long seed) throws IOException {
        Random r = new Random(seed);
        List<String> seen = new ArrayList<>();
        byte[] data = new byte[10_000 + r.nextInt(10_000)];
        r.nextBytes(data);
        Files.createDirectory(root.resolve("d"));
        Files.write(root.resolve("d/a.bin"), data);
        Files.writeString(root.resolve("d/b.txt"), "line\n");
        Files.writeString(root.resolve("d/b.txt"), "more\n", java.nio.file.StandardOpenOption.APPEND);
        Files.copy(root.resolve("d/a.bin"), root.resolve("d/c.bin"));
        Files.move(root.resolve("d/c.bin"), root.resolve("d/e.bin"));
        seen.add(Integer.toString(java.util.Arrays.hashCode(Files.readAllBytes(root.resolve("d/e.bin")))));
        seen.add(Files.readString(root.resolve("d/b.txt")));
        seen.add(Long.toString(Files.size(root.resolve("d/a.bin"))));
        try (Stream<Path> s = Files.list(root.resolve("d"))) {
            seen.add(s.map(p -> p.getFileName().toString()).sorted().toList().toString());
        }
        Files.delete(root.resolve("d/a.bin"));
        seen.add(Boolean.toString(Files.exists(root.resolve("d/a.bin"))));
        return seen;
    }

    private static TreeMap<String, String> tree(Path dir) throws IOException {
        TreeMap<String, String> t = new TreeMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.toList()) {
                t.put(dir.relativize(p).toString(), Files.isDirectory(p) ? "dir"
                        : Integer.toString(java.util.Arrays.hashCode(Files.readAllBytes(p))));
            }
        }
        return t;
    }

    @Test
    void everyOperationGetsOnePreThenOnePostAndResultsAreIdenticalToNoFilter() throws IOException {
        load(() -> new PassThrough(trace::add));
        Path raw = Files.createDirectory(base.resolve("raw"));
        Files.createDirectory(base.resolve("filtered"));
        List<String> without = workload(raw, 7);
        List<String> with = workload(path("/filtered"), 7);
        assertThat(with).isEqualTo(without);
        assertThat(tree(base.resolve("filtered"))).isEqualTo(tree(raw));

        // each operation: exactly one pre, then exactly one post, nothing in between on this single thread
        assertThat(trace).isNotEmpty().hasSizeGreaterThan(40);
        for (int i = 0; i < trace.size(); i += 2) {
            String pre = trace.get(i);
            String post = trace.get(i + 1);
            assertThat(pre).startsWith("pre ");
            assertThat(post).isEqualTo("post " + pre.substring(4));
        }
    }

    @Test
    void twoStackedInstancesSeePreInDescendingAndPostInAscendingAltitude() throws IOException {
        load(() -> new PassThrough(trace::add));
        manager.attach(PassThrough.NAME, "vol", "low", "370010");
        Files.writeString(base.resolve("f"), "x");
        trace.clear();
        assertThat(Files.readString(path("/f"))).isEqualTo("x");
        List<String> reads = trace.stream().filter(l -> l.contains(" READ ")).toList();
        assertThat(reads.subList(0, 4)).containsExactly("pre passthrough Instance READ /f", "pre low READ /f",
                "post low READ /f", "post passthrough Instance READ /f");
        assertThat(manager.unloadFilter(PassThrough.NAME)).isEqualTo(NtStatus.SUCCESS);
        assertThat(new String(Files.readAllBytes(path("/f")), UTF_8)).isEqualTo("x");
    }

    /** {@code skip=cached}: the read and write rows skip cached I/O, so a FUSE mount may use the page cache. */
    @Test
    void skipCachedRegistersReadAndWriteWithoutCachedIoAndABadValueRefusesTheLoad() {
        manager.registerDriver("pt-skip", PassThrough::new);
        assertThat(manager.loadFilter(dev.altitude.core.DriverConfig.parse("pt-skip:skip=cached"))).isEqualTo(NtStatus.SUCCESS);
        dev.altitude.core.Volume v = manager.volume("vol").orElseThrow();
        assertThat(v.isFiltered(dev.altitude.core.MajorFunction.READ)).isTrue();
        assertThat(v.isFilteredWithout(dev.altitude.core.MajorFunction.READ, dev.altitude.core.OperationFlag.SKIP_CACHED_IO))
                .isFalse();
        assertThat(v.isFilteredWithout(dev.altitude.core.MajorFunction.WRITE, dev.altitude.core.OperationFlag.SKIP_CACHED_IO))
                .isFalse();
        assertThat(v.isFilteredWithout(dev.altitude.core.MajorFunction.READ, dev.altitude.core.OperationFlag.SKIP_PAGING_IO))
                .isTrue();
        manager.registerDriver("pt-bad", PassThrough::new);
        assertThat(manager.loadFilter(dev.altitude.core.DriverConfig.parse("pt-bad:skip=sometimes")))
                .isEqualTo(NtStatus.INVALID_PARAMETER);
    }
}
