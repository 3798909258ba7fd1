package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.FilterManager;
import dev.altitude.core.IoParameters;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.OperationFlag;
import dev.altitude.core.PreOpStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Cached I/O said the Windows way: an open's data goes through kernel passthrough when no instance filters reads or
 * writes, through the page cache when every one that does skips cached I/O ({@code SKIP_CACHED_IO}: it sees the page
 * fills, as paging I/O), and direct otherwise, so a filter registered without the flag sees every read.
 */
class DataPathTest extends MountingTest {
    /** One open, the same 4 KiB read 50 times: the page cache answers all but the first. */
    private static final String REREAD = String.join("\n",
            "import os",
            "fd = os.open('f', os.O_RDONLY)",
            "print(sum(len(os.pread(fd, 4096, 0)) for _ in range(50)))",
            "os.close(fd)");
    private static final int TIMES = 50;

    /** Waits (bounded, to catch a hang) until the kernel released every open: no backing file, no page-cache open. */
    private static boolean released(FuseMount m) throws InterruptedException {
        // the kernel sends RELEASE after close(2) returns, on its own time
        return m.awaitFasterOpensClosed(30_000) && m.volume().dataBypass().isEmpty();
    }

    private Bounded.Result reread(Path mnt) throws Exception {
        return Bounded.run(mnt, List.of("python3", "-c", REREAD));
    }

    private static AtomicLong countReads(FilterManager manager, String name, String altitude, Map<String, AtomicLong> byPath,
                                         OperationFlag... flags) {
        AtomicLong reads = new AtomicLong();
        TestFilters.load(manager, name, altitude, b -> b.onPreOperation(MajorFunction.READ, (data, objects) -> {
            reads.incrementAndGet();
            byPath.computeIfAbsent(name + " " + data.parameters(IoParameters.Read.class).path(), k -> new AtomicLong())
                    .incrementAndGet();
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }, flags));
        return reads;
    }

    private Path source() throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Files.write(source.resolve("f"), new byte[4096]);
        return source;
    }

    @Test
    void withoutAFilterOfReadsTheKernelReadsTheSourceItself() throws Exception {
        Path source = source();
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        try (FilterManager manager = FilterManager.builder().verifier(true).build();
             FuseMount m = FuseMount.mount(manager, "through", source, mnt, 2)) {
            assertThat(m.passthrough()).as("the kernel here offers passthrough").isTrue();
            Bounded.Result r = reread(mnt);
            assertThat(r.exit()).as(r.out()).isZero();
            assertThat(r.out().strip()).isEqualTo(Integer.toString(TIMES * 4096));
            assertThat(m.readRequests()).as("no READ reached the daemon").isZero();
            assertThat(released(m)).as("released, and the backing file with it").isTrue();
        }
    }

    @Test
    void aFilterThatSkipsCachedIoSeesPageFillsAndOneWithoutTheFlagSeesEveryRead() throws Exception {
        Path source = source();
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Map<String, AtomicLong> byPath = new ConcurrentHashMap<>();
        try (FilterManager manager = FilterManager.builder().verifier(true).build()) {
            AtomicLong paging = countReads(manager, "pages", "370000", byPath, OperationFlag.SKIP_CACHED_IO);
            try (FuseMount m = FuseMount.mount(manager, "cached", source, mnt, 2)) {
                Bounded.Result r = reread(mnt);
                assertThat(r.exit()).as(r.out()).isZero();
                assertThat(paging.get()).as("the page cache answers the re-reads").isBetween(1L, 3L);
                assertThat(byPath).containsOnlyKeys("pages PAGING");

                AtomicLong every = countReads(manager, "every", "360000", byPath);
                r = reread(mnt);
                assertThat(r.exit()).as(r.out()).isZero();
                assertThat(every.get()).as("a filter without SKIP_CACHED_IO counts every read").isEqualTo(TIMES);
                assertThat(byPath.get("every NON_CACHED").get()).isEqualTo(TIMES);
                assertThat(byPath.get("pages NON_CACHED").get()).as("direct reads are not cached I/O").isEqualTo(TIMES);
            }
            assertThat(manager.unloadFilter("every")).isEqualTo(dev.altitude.core.NtStatus.SUCCESS);
            assertThat(manager.unloadFilter("pages")).isEqualTo(dev.altitude.core.NtStatus.SUCCESS);
        }
    }

    /**
     * A file open in passthrough keeps that path when a filter that reads data attaches (the kernel fixed it at the
     * open): the filter is told (a {@code DATA_BYPASS} diagnostic naming the file, and {@link
     * dev.altitude.core.Volume#dataBypass()}), its reads of that open reach no filter, and the next open reaches it.
     */
    @Test
    void aFileOpenInPassthroughWhenADataFilterAttachesIsNamedAndKeepsItsPathUntilItCloses() throws Exception {
        Path source = source();
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Map<String, AtomicLong> byPath = new ConcurrentHashMap<>();
        try (FilterManager manager = FilterManager.builder().verifier(true).build();
             FuseMount m = FuseMount.mount(manager, "late", source, mnt, 2)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4096);
            try (java.nio.channels.FileChannel held = java.nio.channels.FileChannel.open(mnt.resolve("f"))) {
                assertThat(m.volume().dataBypass()).containsExactly("/f: kernel passthrough, no read or write reaches a filter");
                AtomicLong reads = countReads(manager, "late", "370000", byPath);
                assertThat(manager.diagnostics()).anySatisfy(d -> {
                    assertThat(d.kind()).isEqualTo(dev.altitude.core.Diagnostic.Kind.DATA_BYPASS);
                    assertThat(d.filter()).isEqualTo("late");
                    assertThat(d.message()).contains("/f: kernel passthrough");
                });
                for (int i = 0; i < 5; i++) {
                    b.clear();
                    assertThat(held.read(b, 0)).isEqualTo(4096);
                }
                assertThat(reads.get()).as("the held open stays in passthrough").isZero();
                Bounded.Result r = reread(mnt);
                assertThat(r.exit()).as(r.out()).isZero();
                assertThat(reads.get()).as("a new open goes direct").isEqualTo(TIMES);
            }
            assertThat(released(m)).as("released: " + m.volume().dataBypass()).isTrue();
        }
    }
}
