package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Spec §6 invariants 21–23, 25 and 27–31: instance teardown, draining and detach. */
class TeardownTest extends ManagerFixture {

    @Test
    void inv21_inv24_startThenDrainingPostsWithACopyThenComplete() {
        GatedBackend gated = new GatedBackend();
        Volume slow = manager.mountVolume("slow", gated);
        List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicReference<CallbackData> original = new AtomicReference<>();
        AtomicReference<CallbackData> drainedWith = new AtomicReference<>();
        AtomicReference<Object> drainedContext = new AtomicReference<>();
        AtomicReference<String> drainThread = new AtomicReference<>();
        TestFilter.load(manager, "d", "370000", b -> b
                .onOperation(MajorFunction.READ, (data, o) -> {
                    original.set(data);
                    data.setCompletionContext("ctx-of-read");
                    return PreOpStatus.SUCCESS_WITH_CALLBACK;
                }, (data, o, ctx, draining) -> {
                    order.add(draining ? "drain" : "post");
                    if (draining) {
                        drainedWith.set(data);
                        drainedContext.set(ctx);
                        drainThread.set(Thread.currentThread().getName());
                    }
                    return PostOpStatus.FINISHED_PROCESSING;
                })
                .onInstanceTeardownStart((o, r) -> order.add("start " + o.volume().name()))
                .onInstanceTeardownComplete((o, r) -> order.add("complete " + o.volume().name())));
        TestFilter.create(slow, "/f");
        Thread reader = Thread.ofPlatform().name("reader").start(() -> TestFilter.read(slow, "/f", 1));
        gated.awaitEntered();

        // the read is in the backend: unload drains it without waiting for it
        assertThat(manager.unloadFilter("d")).isEqualTo(NtStatus.SUCCESS);
        assertThat(order.indexOf("start slow")).isLessThan(order.indexOf("drain"));
        assertThat(order.indexOf("drain")).isLessThan(order.indexOf("complete slow"));
        assertThat(drainedWith.get()).isNotSameAs(original.get());
        assertThat(drainedWith.get().majorFunction()).isEqualTo(MajorFunction.READ);
        assertThat(drainedContext.get()).isEqualTo("ctx-of-read");
        assertThat(drainThread.get()).as("drained on a thread that may block, not the reader's").isNotEqualTo("reader");

        gated.open();
        Await.joined(reader);
        assertThat(order).as("inv25: exactly one post-operation for the read, the draining one")
                .filteredOn(s -> s.equals("post") || s.equals("drain")).containsExactly("drain");
    }

    @Test
    void inv22_teardownCompleteWaitsForRunningCallbacks() {
        Gate gate = new Gate();
        AtomicInteger preRunning = new AtomicInteger();
        AtomicInteger runningAtComplete = new AtomicInteger(-1);
        TestFilter.load(manager, "w", "370000", b -> b
                .onPreOperation(MajorFunction.WRITE, (d, o) -> {
                    preRunning.incrementAndGet();
                    gate.pass();
                    preRunning.decrementAndGet();
                    return PreOpStatus.SUCCESS_NO_CALLBACK;
                })
                .onInstanceTeardownComplete((o, r) -> runningAtComplete.set(preRunning.get())));
        TestFilter.create(volume, "/f");
        Thread writer = Thread.ofPlatform().start(() -> TestFilter.write(volume, "/f", "x"));
        gate.awaitEntered();
        Thread unloader = Thread.ofPlatform().start(() -> manager.unloadFilter("w"));
        Await.until("unloader waits for the running pre-operation", () -> manager.explain("w").orElseThrow()
                .phase() != null && manager.explain("w").orElseThrow().phase().contains("running pre-operations"));
        assertThat(manager.explain("w").orElseThrow().holders(HolderKind.RUNNING_CALLBACK)).hasSize(1);
        assertThat(runningAtComplete).as("teardown-complete not yet called").hasValue(-1);
        gate.open();
        Await.joined(unloader);
        Await.joined(writer);
        assertThat(runningAtComplete).hasValue(0);
        assertThat(backend.content("/f")).containsExactly('x');
    }

    @Test
    void inv23_noPreOperationForAnOperationThatBeginsAfterTeardownStart() {
        AtomicInteger afterStart = new AtomicInteger();
        AtomicInteger started = new AtomicInteger();
        TestFilter.load(manager, "p", "370000", b -> b
                .onInstanceQueryTeardown(o -> NtStatus.SUCCESS)
                .onPreOperation(MajorFunction.READ, (d, o) -> {
                    afterStart.addAndGet(started.get());
                    return PreOpStatus.SUCCESS_NO_CALLBACK;
                })
                .onInstanceTeardownStart((o, r) -> {
                    started.set(1);
                    // an operation that begins now, from inside teardown-start
                    TestFilter.read(o.volume(), "/f", 1);
                }));
        TestFilter.create(volume, "/f");
        TestFilter.read(volume, "/f", 1);
        assertThat(manager.detach("p", "vol", null)).isEqualTo(NtStatus.SUCCESS);
        TestFilter.read(volume, "/f", 1);
        assertThat(afterStart).hasValue(0);
    }

    @Test
    void inv25_everyOwedPostOperationRunsExactlyOnceUnderConcurrentDetach() throws Exception {
        ConcurrentHashMap<CallbackData, AtomicInteger> posts = new ConcurrentHashMap<>();
        ConcurrentHashMap<CallbackData, Boolean> owed = new ConcurrentHashMap<>();
        TestFilter.create(volume, "/w");
        for (int round = 0; round < 50; round++) {
            String name = "x" + round;
            TestFilter.load(manager, name, "370000", b -> b
                    .onInstanceQueryTeardown(o -> NtStatus.SUCCESS)
                    .onOperation(MajorFunction.WRITE, (d, o) -> {
                        owed.put(d, true);
                        d.setCompletionContext(d);
                        return PreOpStatus.SUCCESS_WITH_CALLBACK;
                    }, (d, o, c, draining) -> {
                        // a draining call gets a copy: count against the original via the completion context
                        posts.computeIfAbsent((CallbackData) c, k -> new AtomicInteger()).incrementAndGet();
                        return PostOpStatus.FINISHED_PROCESSING;
                    })
                    .onPreOperation(MajorFunction.READ, (d, o) -> PreOpStatus.SUCCESS_NO_CALLBACK));
            // the pre-op stores the original as completion context
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> writers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                writers.add(Thread.ofPlatform().start(() -> {
                    Await.latch(go);
                    for (int k = 0; k < 50; k++) {
                        CallbackData d = new CallbackData(new FileObject("/w"), new IoParameters.Write(0,
                                java.nio.ByteBuffer.wrap(new byte[] {1})));
                        volume.perform(d);
                    }
                }));
            }
            go.countDown();
            assertThat(manager.detach(name, "vol", null)).isEqualTo(NtStatus.SUCCESS);
            writers.forEach(Await::joined);
            assertThat(manager.unloadFilter(name)).isEqualTo(NtStatus.SUCCESS);
        }
        assertThat(owed.keySet()).allSatisfy(d -> assertThat(posts.get(d)).as("posts for " + d).hasValue(1));
        assertThat(posts.keySet()).isSubsetOf(owed.keySet());
    }
}
