package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Unload under load: threads keep doing I/O through a volume while a filter is loaded and unloaded again
 * and again, optional (sometimes refused) and mandatory mixed. {@code -Dtorture.cycles=10000} (or
 * {@code -Ptorture}) for the long run; 1,000 cycles in the default build.
 *
 * <p>Checks: no callback of a generation after its unregister returned; every operation completes
 * exactly once; every owed post-operation is called exactly once (normal or draining); no thread left.
 */
class UnloadTortureTest {
    private static final int CYCLES = Integer.getInteger("torture.cycles", 1000);
    private static final int THREADS = 4;

    /** One load of the filter: what its callbacks saw. */
    private static final class Generation {
        final int number;
        final AtomicReference<Filter> filter = new AtomicReference<>();
        volatile boolean unregistered;
        final AtomicInteger late = new AtomicInteger();
        final ConcurrentHashMap<Object, AtomicInteger> owed = new ConcurrentHashMap<>();
        final AtomicInteger drained = new AtomicInteger();

        Generation(int number) {
            this.number = number;
        }

        void seen() {
            if (unregistered) {
                late.incrementAndGet();
            }
        }
    }

    @Test
    @Timeout(900)
    void unloadAndReloadUnderLoad() throws Exception {
        long seed = Long.getLong("torture.seed", 20261124L);
        Random random = new Random(seed);
        List<Generation> generations = new ArrayList<>();
        AtomicReference<Generation> current = new AtomicReference<>();
        long started = System.nanoTime();

        try (FilterManager manager = FilterManager.create()) {
            Volume volume = manager.mountVolume("vol", new MemoryBackend());
            // a neighbour that stays loaded the whole time, above the churning filter
            AtomicLong neighbourPosts = new AtomicLong();
            TestFilter.load(manager, "neighbour", "400000", b -> b.onOperation(MajorFunction.WRITE,
                    (d, o) -> PreOpStatus.SUCCESS_WITH_CALLBACK, (d, o, c, dr) -> {
                        neighbourPosts.incrementAndGet();
                        return PostOpStatus.FINISHED_PROCESSING;
                    }));
            AtomicBoolean refuse = new AtomicBoolean();
            manager.registerDriver("churn", () -> (mgr, config) -> {
                Generation g = current.get();
                Callbacks.PreOperation pre = (d, o) -> {
                    g.seen();
                    Object token = new Object();
                    g.owed.put(token, new AtomicInteger());
                    d.setCompletionContext(token);
                    return PreOpStatus.SUCCESS_WITH_CALLBACK;
                };
                Callbacks.PostOperation post = (d, o, token, draining) -> {
                    g.seen();
                    g.owed.get(token).incrementAndGet();
                    if (draining) {
                        g.drained.incrementAndGet();
                    }
                    return PostOpStatus.FINISHED_PROCESSING;
                };
                Filter f = mgr.registerFilter(FilterRegistration.builder("churn").altitude("300000")
                        .onOperation(MajorFunction.READ, pre, post)
                        .onOperation(MajorFunction.WRITE, pre, post)
                        .onOperation(MajorFunction.CREATE, pre, post)
                        .onInstanceTeardownStart((o, r) -> g.seen())
                        .onInstanceTeardownComplete((o, r) -> g.seen())
                        .onUnload(flags -> {
                            g.seen();
                            if (!flags.contains(UnloadFlag.MANDATORY) && refuse.get()) {
                                return NtStatus.FLT_DO_NOT_DETACH;
                            }
                            g.filter.get().unregister();
                            g.unregistered = true;
                            return NtStatus.SUCCESS;
                        })
                        .build());
                g.filter.set(f);
                return f.startFiltering();
            });

            TestFilter.create(volume, "/data");
            TestFilter.write(volume, "/data", "x".repeat(64));
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong issued = new AtomicLong();
            AtomicLong completed = new AtomicLong();
            AtomicLong unexpected = new AtomicLong();
            CountDownLatch ready = new CountDownLatch(THREADS);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                workers.add(Thread.ofPlatform().name("torture-" + t).start(() -> {
                    ready.countDown();
                    byte[] block = new byte[64];
                    while (!stop.get()) {
                        issued.incrementAndGet();
                        CallbackData d = (id & 1) == 0
                                ? new CallbackData(new FileObject("/data"), new IoParameters.Write(0, ByteBuffer.wrap(block)))
                                : new CallbackData(new FileObject("/data"), new IoParameters.Read(0, ByteBuffer.allocate(64)));
                        NtStatus s = volume.perform(d);
                        completed.incrementAndGet();
                        if (s.isFailure()) {
                            unexpected.incrementAndGet();
                        }
                    }
                }));
            }
            Await.latch(ready);

            int refused = 0;
            for (int cycle = 0; cycle < CYCLES; cycle++) {
                Generation g = new Generation(cycle);
                generations.add(g);
                current.set(g);
                assertThat(manager.loadFilter("churn")).isEqualTo(NtStatus.SUCCESS);
                // let some I/O reach the new generation
                long target = completed.get() + 2 + random.nextInt(8);
                Await.until("I/O progresses", () -> completed.get() >= target);
                boolean mandatory = random.nextBoolean();
                refuse.set(!mandatory && random.nextInt(4) == 0);
                NtStatus s = manager.unloadFilter("churn", mandatory ? UnloadMode.MANDATORY : UnloadMode.OPTIONAL);
                if (s.equals(NtStatus.FLT_DO_NOT_DETACH)) {
                    refused++;
                    assertThat(g.filter.get().state()).isEqualTo(Filter.State.FILTERING);
                    refuse.set(false);
                    s = manager.unloadFilter("churn", UnloadMode.MANDATORY);
                }
                assertThat(s).isEqualTo(NtStatus.SUCCESS);
                assertThat(g.filter.get().state()).isEqualTo(Filter.State.UNREGISTERED);
            }
            stop.set(true);
            workers.forEach(Await::joined);

            long drained = 0;
            long owedTotal = 0;
            for (Generation g : generations) {
                assertThat(g.late).as("callbacks of generation " + g.number + " after unregister").hasValue(0);
                for (var e : g.owed.entrySet()) {
                    assertThat(e.getValue()).as("post-operations for one operation of generation " + g.number)
                            .hasValue(1);
                }
                drained += g.drained.get();
                owedTotal += g.owed.size();
            }
            assertThat(completed.get()).isEqualTo(issued.get());
            assertThat(unexpected).as("no operation failed").hasValue(0);
            assertThat(volume.instances()).extracting(i -> i.filter().name()).containsExactly("neighbour");
            assertThat(workers).noneMatch(Thread::isAlive);
            assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("torture-"));

            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("unload torture: %d cycles (%d optional refusals) in %.1f s, %d operations, "
                            + "%d owed post-operations of which %d drained, seed %d%n",
                    CYCLES, refused, seconds, completed.get(), owedTotal, drained, seed);
        }
    }
}
