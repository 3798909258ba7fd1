package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
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
 * <p>Each generation also keeps an instance context (set with keep-if-exists from racing threads, now and
 * then deleted), pends a share of its reads in a cancel-safe queue that instance work items complete, and
 * flushes that queue in teardown-start.
 *
 * <p>Checks: no callback of a generation after its unregister returned (context cleanups and work items
 * included); every operation completes exactly once; every owed post-operation is called exactly once
 * (normal or draining); every context allocated is cleaned up exactly once; every pended read is resumed
 * exactly once, by a work item or the flush; no thread left.
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
        final CallbackDataQueue queue = new CallbackDataQueue();
        final AtomicInteger contextsAllocated = new AtomicInteger();
        final AtomicInteger contextsCleaned = new AtomicInteger();
        final AtomicInteger pended = new AtomicInteger();
        final AtomicInteger resumedByWorkItem = new AtomicInteger();
        final AtomicInteger flushed = new AtomicInteger();

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
                    touchInstanceContext(g, o.instance());
                    if (d.majorFunction() == MajorFunction.READ && ThreadLocalRandom.current().nextInt(4) == 0) {
                        return pend(g, d, o.instance());
                    }
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
                        .context(ContextType.INSTANCE, (value, type) -> {
                            g.seen();
                            g.contextsCleaned.incrementAndGet();
                        })
                        .onInstanceTeardownStart((o, r) -> {
                            g.seen();
                            for (CallbackData d : g.queue.removeAll()) {
                                g.flushed.incrementAndGet();
                                d.completePendedPreOperation(PreOpStatus.SUCCESS_NO_CALLBACK, null);
                            }
                        })
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
            long contexts = 0;
            long pended = 0;
            long flushed = 0;
            for (Generation g : generations) {
                assertThat(g.contextsCleaned).as("contexts of generation " + g.number + " cleaned exactly once")
                        .hasValue(g.contextsAllocated.get());
                assertThat(g.resumedByWorkItem.get() + g.flushed.get()).as("pended reads of generation " + g.number
                        + " resumed exactly once").isEqualTo(g.pended.get());
                assertThat(g.queue.size()).isZero();
                contexts += g.contextsAllocated.get();
                pended += g.pended.get();
                flushed += g.flushed.get();
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
            assertThat(manager.diagnostics()).as("no misuse, no leak, no callback exception")
                    .noneMatch(d -> d.filter().equals("churn") && d.kind() != Diagnostic.Kind.FORCED_UNREGISTER);
            System.out.printf("unload torture: %d cycles (%d optional refusals) in %.1f s, %d operations, "
                            + "%d owed post-operations of which %d drained, %d contexts, %d pended reads "
                            + "(%d flushed at teardown), seed %d%n",
                    CYCLES, refused, seconds, completed.get(), owedTotal, drained, contexts, pended, flushed, seed);
        }
    }

    /** Gets the instance context or races to set one (keep-if-exists); now and then deletes it again. */
    private static void touchInstanceContext(Generation g, Instance instance) {
        Optional<Context<Object>> existing = instance.getContext(ContextType.INSTANCE, null);
        if (existing.isPresent()) {
            try (Context<Object> c = existing.get()) {
                if (ThreadLocalRandom.current().nextInt(16) == 0) {
                    c.delete();
                }
            }
            return;
        }
        Context<Object> fresh;
        try {
            fresh = instance.filter().allocateContext(ContextType.INSTANCE, new Object());
        } catch (NtStatusException unloading) {
            assertThat(unloading.status()).isEqualTo(NtStatus.FLT_DELETING_OBJECT);
            return;
        }
        g.contextsAllocated.incrementAndGet();
        try (fresh) {
            Instance.SetResult<Object> r = instance.setContext(ContextType.INSTANCE, null, fresh,
                    Instance.SetMode.KEEP_IF_EXISTS);
            if (r.existing() != null) {
                r.existing().close();
            }
        }
    }

    /**
     * Pends a read in the generation's queue and queues an instance work item to resume it; if the work
     * item is refused (teardown began) and the flush has not taken the read, it goes on unpended.
     */
    private static PreOpStatus pend(Generation g, CallbackData d, Instance instance) {
        if (g.queue.insert(d).isFailure()) {
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }
        g.pended.incrementAndGet();
        NtStatus queued = instance.queueWorkItem(() -> {
            g.seen();
            if (g.queue.remove(d)) {
                Object token = new Object();
                g.owed.put(token, new AtomicInteger());
                g.resumedByWorkItem.incrementAndGet();
                assertThat(d.completePendedPreOperation(PreOpStatus.SUCCESS_WITH_CALLBACK, token))
                        .isEqualTo(NtStatus.SUCCESS);
            }
        });
        if (queued.isFailure() && g.queue.remove(d)) {
            g.pended.decrementAndGet();
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }
        return PreOpStatus.PENDING;
    }
}
