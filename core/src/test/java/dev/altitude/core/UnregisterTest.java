package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Spec §6 invariants 12–15 and 20: what unregister does and what it guarantees. */
@Timeout(60)
class UnregisterTest {
    private final FilterManager manager = FilterManager.create();
    private final Volume v1 = manager.mountVolume("v1", new MemoryBackend());
    private final Volume v2 = manager.mountVolume("v2", new MemoryBackend());

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void inv12_noCallbackOfAnyKindAfterUnregisterReturned() throws Exception {
        AtomicBoolean unregistered = new AtomicBoolean();
        AtomicInteger late = new AtomicInteger();
        Runnable check = () -> {
            if (unregistered.get()) {
                late.incrementAndGet();
            }
        };
        TestFilter[] holder = new TestFilter[1];
        holder[0] = TestFilter.load(manager, "watched", "370000", b -> b
                .onOperation(MajorFunction.READ, (d, o) -> {
                    check.run();
                    return PreOpStatus.SUCCESS_WITH_CALLBACK;
                }, (d, o, c, draining) -> {
                    check.run();
                    return PostOpStatus.FINISHED_PROCESSING;
                })
                .onOperation(MajorFunction.WRITE, (d, o) -> {
                    check.run();
                    return PreOpStatus.SUCCESS_WITH_CALLBACK;
                }, (d, o, c, draining) -> {
                    check.run();
                    return PostOpStatus.FINISHED_PROCESSING;
                })
                .onInstanceSetup((o, f, t) -> {
                    check.run();
                    return NtStatus.SUCCESS;
                })
                .onInstanceTeardownStart((o, r) -> check.run())
                .onInstanceTeardownComplete((o, r) -> check.run())
                .onUnload(flags -> {
                    holder[0].filter().unregister();
                    unregistered.set(true);
                    return NtStatus.SUCCESS;
                }));
        TestFilter.create(v1, "/f");
        TestFilter.create(v2, "/f");
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Volume v = i % 2 == 0 ? v1 : v2;
            workers.add(Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    TestFilter.write(v, "/f", "data");
                    TestFilter.read(v, "/f", 4);
                }
            }));
        }
        assertThat(manager.unloadFilter("watched")).isEqualTo(NtStatus.SUCCESS);
        // keep I/O going after the unregister, and mount a new volume: nothing may reach the filter
        for (int i = 0; i < 200; i++) {
            TestFilter.read(v1, "/f", 4);
        }
        manager.mountVolume("v3", new MemoryBackend());
        stop.set(true);
        workers.forEach(Await::joined);
        assertThat(late).hasValue(0);
    }

    @Test
    void inv13_onceUnregisterStartedNoNewOperationIsPresented() throws Exception {
        CountDownLatch inTeardownStart = new CountDownLatch(1);
        CountDownLatch finishTeardown = new CountDownLatch(1);
        AtomicInteger presentedAfterStart = new AtomicInteger();
        AtomicBoolean started = new AtomicBoolean();
        TestFilter t = TestFilter.load(manager, "f", "370000", b -> b
                .onPreOperation(MajorFunction.READ, (d, o) -> {
                    if (started.get()) {
                        presentedAfterStart.incrementAndGet();
                    }
                    return PreOpStatus.SUCCESS_NO_CALLBACK;
                })
                .onInstanceTeardownStart((o, r) -> {
                    inTeardownStart.countDown();
                    Await.latch(finishTeardown);
                }));
        TestFilter.create(v1, "/f");
        Thread unloader = Thread.ofPlatform().start(() -> manager.unloadFilter("f"));
        Await.until("draining", () -> t.filter().state() == Filter.State.DRAINING);
        started.set(true);
        Await.latch(inTeardownStart);
        for (int i = 0; i < 100; i++) {
            assertThat(TestFilter.read(v1, "/f", 1).status()).isEqualTo(NtStatus.END_OF_FILE);
        }
        finishTeardown.countDown();
        Await.joined(unloader);
        assertThat(presentedAfterStart).hasValue(0);
    }

    @Test
    void inv14_teardownStartAndCompleteOncePerInstance() {
        List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
        TestFilter.load(manager, "multi", "370000", b -> b
                .onInstanceQueryTeardown(o -> NtStatus.SUCCESS)
                .onInstanceTeardownStart((o, r) -> calls.add("start " + o.volume().name() + " " + o.instance().name() + " " + r))
                .onInstanceTeardownComplete((o, r) -> calls.add("complete " + o.volume().name() + " " + o.instance().name() + " " + r)));
        manager.attach("multi", "v1", "second", "370001");
        assertThat(manager.unloadFilter("multi")).isEqualTo(NtStatus.SUCCESS);
        assertThat(calls).containsExactlyInAnyOrder(
                "start v1 multi Instance FILTER_UNLOAD", "complete v1 multi Instance FILTER_UNLOAD",
                "start v1 second FILTER_UNLOAD", "complete v1 second FILTER_UNLOAD",
                "start v2 multi Instance FILTER_UNLOAD", "complete v2 multi Instance FILTER_UNLOAD");
        // every start comes before every complete (decision 4: start on all, then drain, then complete)
        int lastStart = -1;
        int firstComplete = Integer.MAX_VALUE;
        for (int i = 0; i < calls.size(); i++) {
            if (calls.get(i).startsWith("start")) {
                lastStart = i;
            } else {
                firstComplete = Math.min(firstComplete, i);
            }
        }
        assertThat(lastStart).isLessThan(firstComplete);
    }

    @Test
    void inv15_queryTeardownIsNeverCalledForUnloadOrDismount() {
        AtomicInteger queries = new AtomicInteger();
        List<TeardownReason> reasons = java.util.Collections.synchronizedList(new ArrayList<>());
        TestFilter.load(manager, "q", "370000", b -> b
                .onInstanceQueryTeardown(o -> {
                    queries.incrementAndGet();
                    return NtStatus.FLT_DO_NOT_DETACH;
                })
                .onInstanceTeardownStart((o, r) -> reasons.add(r)));
        assertThat(manager.dismountVolume("v2")).isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.unloadFilter("q", UnloadMode.MANDATORY)).isEqualTo(NtStatus.SUCCESS);
        assertThat(queries).hasValue(0);
        assertThat(reasons).containsExactly(TeardownReason.VOLUME_DISMOUNT, TeardownReason.MANDATORY_FILTER_UNLOAD);
    }

    @Test
    void inv20_startFilteringTwiceIsInvalidParameterAndAttachBeforeItIsNotReady() {
        AtomicReference<NtStatus> second = new AtomicReference<>();
        AtomicReference<NtStatusException> attachEarly = new AtomicReference<>();
        TestFilter t = TestFilter.register(manager, "twice", "370000", b -> b);
        t.startFiltering = false;
        assertThat(manager.loadFilter("twice")).isEqualTo(NtStatus.SUCCESS);
        assertThat(t.filter().state()).isEqualTo(Filter.State.REGISTERED);
        try {
            manager.attach("twice", "v1", null, null);
        } catch (NtStatusException e) {
            attachEarly.set(e);
        }
        assertThat(attachEarly.get().status()).isEqualTo(NtStatus.FLT_FILTER_NOT_READY);
        assertThat(t.filter().startFiltering()).isEqualTo(NtStatus.SUCCESS);
        second.set(t.filter().startFiltering());
        assertThat(second.get()).isEqualTo(NtStatus.INVALID_PARAMETER);
        assertThat(t.filter().instances()).hasSize(2);
    }

    @Test
    void inv19_afterUnregisterStartedAttachAndStartFilteringAreDeletingObject() throws Exception {
        CountDownLatch inStart = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        TestFilter t = TestFilter.load(manager, "d", "370000", b -> b.onInstanceTeardownStart((o, r) -> {
            inStart.countDown();
            Await.latch(finish);
        }));
        Thread unloader = Thread.ofPlatform().start(() -> manager.unloadFilter("d"));
        Await.latch(inStart);
        NtStatusException e = org.assertj.core.api.Assertions.catchThrowableOfType(NtStatusException.class,
                () -> manager.attach("d", "v1", "other", "1"));
        assertThat(e.status()).isEqualTo(NtStatus.FLT_DELETING_OBJECT);
        assertThat(t.filter().startFiltering()).isEqualTo(NtStatus.FLT_DELETING_OBJECT);
        finish.countDown();
        Await.joined(unloader);
    }
}
