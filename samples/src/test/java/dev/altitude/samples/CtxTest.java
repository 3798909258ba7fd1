package dev.altitude.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.NtStatus;
import dev.altitude.samples.ctx.Ctx;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class CtxTest extends SampleFixture {
    private static final int N = 8;

    @RepeatedTest(5)
    void concurrentOpensOfOneFileShareOneStreamContextAndEveryCleanupRunsOnce() throws Exception {
        Ctx ctx = load(Ctx::new);
        Files.writeString(base.resolve("shared"), "x");
        CyclicBarrier start = new CyclicBarrier(N);
        CyclicBarrier opened = new CyclicBarrier(N);
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    try (FileChannel ch = FileChannel.open(path("/shared"), StandardOpenOption.READ)) {
                        opened.await(); // all N handles open at once
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).isEmpty();
        // a thread that lost the keep-if-exists race freed its own context unused (creates=0) and used the winner's
        List<String> used = ctx.cleanups().stream().filter(c -> !c.contains("creates=0")).toList();
        assertThat(used.stream().filter(c -> c.startsWith("STREAM /")))
                .containsExactly("STREAM /shared creates=" + N + " cleanups=" + N + " closes=" + N);
        assertThat(used.stream().filter(c -> c.startsWith("FILE /")))
                .containsExactly("FILE /shared creates=" + N + " cleanups=0 closes=0");
        assertThat(ctx.cleanups().stream().filter(c -> c.startsWith("STREAM_HANDLE /")))
                .hasSize(N).allMatch(c -> c.equals("STREAM_HANDLE /shared creates=1 cleanups=1 closes=1"));
        int before = ctx.cleanups().size();
        assertThat(manager.unloadFilter(Ctx.NAME)).isEqualTo(NtStatus.SUCCESS);
        assertThat(ctx.cleanups()).as("nothing was left to clean, nothing cleaned twice").hasSize(before);
    }

    @Test
    void contextsStillLinkedAtUnloadAreCleanedOnceAndRenamesAreFollowed() throws Exception {
        Ctx ctx = load(Ctx::new);
        Files.writeString(base.resolve("a"), "x");
        FileChannel ch = FileChannel.open(path("/a"), StandardOpenOption.READ);
        Files.move(path("/a"), path("/b"));
        assertThat(manager.unloadFilter(Ctx.NAME)).isEqualTo(NtStatus.SUCCESS);
        ch.close();
        assertThat(ctx.cleanups()).containsExactlyInAnyOrder(
                "STREAM_HANDLE /a creates=1 cleanups=1 closes=1", // the rename's own handle
                "FILE /a creates=2 cleanups=0 closes=0",
                "STREAM /b creates=2 cleanups=1 closes=1",
                "STREAM_HANDLE /a creates=1 cleanups=0 closes=0");
    }
}
