package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Spec §6 invariants 1–11: whether and how an unload happens. */
class UnloadDecisionTest extends ManagerFixture {

    @Test
    void inv01_noUnloadCallbackMeansUnloadFailsAndTouchesNothing() {
        TestFilter t = TestFilter.load(manager, "nounload", "370000", b -> b.onUnload(null)
                .onInstanceTeardownStart((o, r) -> fail("teardown must not start")));
        Instance before = t.filter().instances().getFirst();

        assertThat(manager.unloadFilter("nounload")).isEqualTo(NtStatus.FLT_DO_NOT_DETACH);
        assertThat(manager.unloadFilter("nounload", UnloadMode.MANDATORY)).isEqualTo(NtStatus.FLT_DO_NOT_DETACH);

        assertThat(t.filter().state()).isEqualTo(Filter.State.FILTERING);
        assertThat(t.filter().instances()).containsExactly(before);
        assertThat(before.isAttached()).isTrue();
        assertThat(manager.filters()).extracting(FilterManager.FilterInfo::name).containsExactly("nounload");
    }

    private static void fail(String why) {
        throw new AssertionError(why);
    }

    @Test
    void inv02_optionalUnloadRefusedByWarningOrErrorLeavesFilterLoaded() {
        AtomicReference<NtStatus> answer = new AtomicReference<>(NtStatus.FLT_DO_NOT_DETACH);
        TestFilter t = TestFilter.load(manager, "refuser", "370000", b -> b.onUnload(flags -> answer.get()));

        NtStatus result = manager.unloadFilter("refuser");
        assertThat(result).isEqualTo(NtStatus.FLT_DO_NOT_DETACH);
        assertThat(result.toHResult()).isEqualTo(0x801F0010);
        assertThat(t.filter().state()).isEqualTo(Filter.State.FILTERING);
        assertThat(t.filter().instances()).hasSize(1);

        answer.set(NtStatus.BUFFER_OVERFLOW); // a warning refuses too
        assertThat(manager.unloadFilter("refuser")).isEqualTo(NtStatus.BUFFER_OVERFLOW);
        assertThat(manager.filter("refuser")).isPresent();

        answer.set(NtStatus.TIMEOUT); // a success code: the manager unregisters the filter itself
        assertThat(manager.unloadFilter("refuser")).isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.filter("refuser")).isEmpty();
        assertThat(t.filter().state()).isEqualTo(Filter.State.UNREGISTERED);
    }

    @Test
    void inv03_mandatoryUnloadProceedsWhateverTheCallbackReturns() {
        TestFilter refusesAfterUnregister = TestFilter.load(manager, "a", "370000", b -> b);
        refusesAfterUnregister.filter(); // loaded
        TestFilter[] holder = new TestFilter[1];
        holder[0] = TestFilter.load(manager, "b", "360000", b -> b.onUnload(flags -> {
            holder[0].filter().unregister();
            return NtStatus.FLT_DO_NOT_DETACH;
        }));
        TestFilter neverUnregisters = TestFilter.load(manager, "c", "350000",
                b -> b.onUnload(flags -> NtStatus.FLT_DO_NOT_DETACH));

        assertThat(manager.unloadFilter("b", UnloadMode.MANDATORY)).isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.unloadFilter("c", UnloadMode.MANDATORY)).isEqualTo(NtStatus.SUCCESS);

        assertThat(manager.filter("b")).isEmpty();
        assertThat(manager.filter("c")).isEmpty();
        assertThat(neverUnregisters.filter().state()).isEqualTo(Filter.State.UNREGISTERED);
        assertThat(manager.diagnostics()).anySatisfy(d -> {
            assertThat(d.filter()).isEqualTo("c");
            assertThat(d.kind()).isEqualTo(Diagnostic.Kind.FORCED_UNREGISTER);
        });
    }

    @Test
    void decision8_refusalAfterUnregisterCountsAsDoneAndIsReported() {
        TestFilter[] holder = new TestFilter[1];
        holder[0] = TestFilter.load(manager, "zombie", "370000", b -> b.onUnload(flags -> {
            holder[0].filter().unregister();
            return NtStatus.FLT_DO_NOT_DETACH;
        }));
        assertThat(manager.unloadFilter("zombie")).isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.filter("zombie")).isEmpty();
        assertThat(manager.diagnostics()).anySatisfy(d -> {
            assertThat(d.kind()).isEqualTo(Diagnostic.Kind.INVALID_STATUS);
            assertThat(d.kind().isMisuse()).isTrue();
            assertThat(d.message()).contains("after it had unregistered");
        });
    }

    @Test
    void inv04_flagsAreMandatoryExactlyForServiceStop() {
        TestFilter a = TestFilter.load(manager, "opt", "370000", b -> b);
        TestFilter m = TestFilter.load(manager, "man", "360000", b -> b);
        assertThat(manager.unloadFilter("opt")).isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.unloadFilter("man", UnloadMode.MANDATORY)).isEqualTo(NtStatus.SUCCESS);
        assertThat(a.unloadFlags).containsExactly(Set.of());
        assertThat(m.unloadFlags).containsExactly(Set.of(UnloadFlag.MANDATORY));
        assertThat(UnloadFlag.MANDATORY.value()).isEqualTo(0x1);
    }

    @Test
    void inv05_doNotSupportServiceStopRefusesMandatoryWithoutCallbackButAllowsOptional() {
        TestFilter t = TestFilter.load(manager, "nostop", "370000",
                b -> b.flags(RegistrationFlag.DO_NOT_SUPPORT_SERVICE_STOP));
        assertThat(manager.unloadFilter("nostop", UnloadMode.MANDATORY)).isEqualTo(NtStatus.NOT_SUPPORTED);
        assertThat(t.unloadFlags).isEmpty();
        assertThat(t.filter().state()).isEqualTo(Filter.State.FILTERING);

        assertThat(manager.unloadFilter("nostop")).isEqualTo(NtStatus.SUCCESS);
        assertThat(t.unloadFlags).containsExactly(Set.of());
    }

    @Test
    void inv06_failedDriverEntryNeverCallsTheUnloadCallback() {
        AtomicInteger unloads = new AtomicInteger();
        AtomicReference<Filter> left = new AtomicReference<>();
        manager.registerDriver("failing", () -> (mgr, config) -> {
            Filter f = mgr.registerFilter(FilterRegistration.builder("failing").altitude("370000")
                    .onUnload(flags -> {
                        unloads.incrementAndGet();
                        return NtStatus.SUCCESS;
                    }).build());
            left.set(f);
            f.startFiltering();
            return NtStatus.INSUFFICIENT_RESOURCES; // and forgets to unregister
        });
        manager.registerDriver("throwing", () -> (mgr, config) -> {
            throw new IllegalStateException("boom");
        });

        assertThat(manager.loadFilter("failing")).as("the driver entry's own status").isEqualTo(NtStatus.INSUFFICIENT_RESOURCES);
        assertThat(manager.loadFilter("throwing")).isEqualTo(NtStatus.FAILED_DRIVER_ENTRY);
        assertThat(unloads).hasValue(0);
        assertThat(left.get().state()).as("the manager cleans up what the driver left")
                .isEqualTo(Filter.State.UNREGISTERED);
        assertThat(volume.instances()).isEmpty();
        assertThat(manager.filter("failing")).isEmpty();
        assertThat(manager.unloadFilter("failing")).isEqualTo(NtStatus.FLT_FILTER_NOT_FOUND);
    }

    @Test
    void inv08_unknownNameIsFilterNotFound() {
        assertThat(manager.unloadFilter("nobody")).isEqualTo(NtStatus.FLT_FILTER_NOT_FOUND);
        assertThat(NtStatus.FLT_FILTER_NOT_FOUND.code()).isEqualTo(0xC01C0013);
    }

    @Test
    void inv09_secondUnloadWhileTearingDownIsDeletingObject() throws Exception {
        Gate gate = new Gate();
        TestFilter t = TestFilter.load(manager, "slow", "370000", b -> b.onPreOperation(MajorFunction.READ, (d, o) -> {
            gate.pass();
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }));
        TestFilter.create(volume, "/f");
        Thread io = Thread.ofPlatform().name("io").start(() -> TestFilter.read(volume, "/f", 4));
        gate.awaitEntered();
        AtomicReference<NtStatus> first = new AtomicReference<>();
        Thread unloader = Thread.ofPlatform().name("unloader").start(() -> first.set(manager.unloadFilter("slow")));
        Await.until("filter draining", () -> t.filter().state() == Filter.State.DRAINING);

        assertThat(manager.unloadFilter("slow")).isEqualTo(NtStatus.FLT_DELETING_OBJECT);
        assertThat(manager.unloadFilter("slow", UnloadMode.MANDATORY)).isEqualTo(NtStatus.FLT_DELETING_OBJECT);

        gate.open();
        Await.joined(unloader);
        Await.joined(io);
        assertThat(first.get()).isEqualTo(NtStatus.SUCCESS);
        assertThat(t.unloadFlags).hasSize(1);
    }

    @Test
    void inv10_atMostOneUnloadCallbackInProgress() throws Exception {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        AtomicInteger calls = new AtomicInteger();
        TestFilter[] holder = new TestFilter[1];
        holder[0] = TestFilter.load(manager, "busy", "370000", b -> b.onUnload(flags -> {
            maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            int n = calls.incrementAndGet();
            for (int i = 0; i < 1000; i++) {
                Thread.yield();
            }
            inside.decrementAndGet();
            if (n == 6) {
                holder[0].filter().unregister();
                return NtStatus.SUCCESS;
            }
            return NtStatus.FLT_DO_NOT_DETACH;
        }));
        List<Thread> threads = new ArrayList<>();
        List<NtStatus> results = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch go = new CountDownLatch(1);
        for (int i = 0; i < 12; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                Await.latch(go);
                results.add(manager.unloadFilter("busy"));
            }));
        }
        go.countDown();
        threads.forEach(Await::joined);

        assertThat(maxInside).hasValue(1);
        assertThat(results).hasSize(12).containsOnlyOnce(NtStatus.SUCCESS)
                .isSubsetOf(NtStatus.SUCCESS, NtStatus.FLT_DO_NOT_DETACH, NtStatus.FLT_DELETING_OBJECT,
                        NtStatus.FLT_FILTER_NOT_FOUND);
        assertThat(calls.get()).isEqualTo(6);
    }

    @Test
    void inv11_aFilterCannotUnloadItselfFromItsOwnCallbacks() {
        AtomicReference<NtStatus> fromPre = new AtomicReference<>();
        AtomicReference<NtStatus> fromUnload = new AtomicReference<>();
        AtomicReference<Throwable> unregisterFromPre = new AtomicReference<>();
        TestFilter[] holder = new TestFilter[1];
        holder[0] = TestFilter.load(manager, "self", "370000", b -> b
                .onPreOperation(MajorFunction.READ, (d, o) -> {
                    fromPre.set(manager.unloadFilter("self"));
                    try {
                        o.filter().unregister();
                    } catch (NtStatusException e) {
                        unregisterFromPre.set(e);
                    }
                    return PreOpStatus.SUCCESS_NO_CALLBACK;
                })
                .onUnload(flags -> {
                    fromUnload.set(manager.unloadFilter("SELF"));
                    holder[0].filter().unregister();
                    return NtStatus.SUCCESS;
                }));
        TestFilter.create(volume, "/f");
        TestFilter.read(volume, "/f", 1);
        assertThat(fromPre.get()).isEqualTo(NtStatus.POSSIBLE_DEADLOCK);
        assertThat(unregisterFromPre.get()).isInstanceOfSatisfying(NtStatusException.class,
                e -> assertThat(e.status()).isEqualTo(NtStatus.POSSIBLE_DEADLOCK));
        assertThat(holder[0].filter().state()).isEqualTo(Filter.State.FILTERING);

        assertThat(manager.unloadFilter("self")).isEqualTo(NtStatus.SUCCESS);
        assertThat(fromUnload.get()).isEqualTo(NtStatus.POSSIBLE_DEADLOCK);
    }

    @Test
    void inv11_aDriverEntryCannotUnloadItsOwnFilter() {
        AtomicReference<NtStatus> seen = new AtomicReference<>();
        manager.registerDriver("entry", () -> (mgr, config) -> {
            Filter f = mgr.registerFilter(FilterRegistration.builder("entry").altitude("1").onUnload(x -> {
                throw new AssertionError("not to be called");
            }).build());
            seen.set(mgr.unloadFilter("entry"));
            return f.startFiltering();
        });
        assertThat(manager.loadFilter("entry")).isEqualTo(NtStatus.SUCCESS);
        assertThat(seen.get()).isEqualTo(NtStatus.POSSIBLE_DEADLOCK);
    }

    @Test
    void decision11_anUnloadWaitsForALoadInProgress() throws Exception {
        CountDownLatch inEntry = new CountDownLatch(1);
        CountDownLatch finishEntry = new CountDownLatch(1);
        TestFilter t = TestFilter.register(manager, "late", "370000", b -> {
            inEntry.countDown();
            Await.latch(finishEntry);
            return b;
        });
        AtomicReference<NtStatus> load = new AtomicReference<>();
        AtomicReference<NtStatus> unload = new AtomicReference<>();
        Thread loader = Thread.ofPlatform().name("loader").start(() -> load.set(manager.loadFilter("late")));
        Await.latch(inEntry);
        Thread unloader = Thread.ofPlatform().name("unloader").start(() -> unload.set(manager.unloadFilter("late")));
        Await.until("the unloader waits for the load", () -> manager.waitsOnDriver("late"));
        finishEntry.countDown();
        Await.joined(loader);
        Await.joined(unloader);
        assertThat(load.get()).isEqualTo(NtStatus.SUCCESS);
        assertThat(unload.get()).isEqualTo(NtStatus.SUCCESS);
        assertThat(t.unloadFlags).hasSize(1);
    }

    @Test
    void unregisterOutsideAnyCallbackAfterUnloadIsReportedNotRepeated() {
        TestFilter t = TestFilter.load(manager, "twice", "370000", b -> b);
        assertThat(manager.unloadFilter("twice")).isEqualTo(NtStatus.SUCCESS);
        t.filter().unregister();
        assertThat(manager.diagnostics()).anySatisfy(d -> assertThat(d.message()).contains("called again"));
        assertThatThrownBy(() -> manager.registerFilter(FilterRegistration.builder("x").altitude("1").build()))
                .isInstanceOfSatisfying(NtStatusException.class,
                        e -> assertThat(e.status()).isEqualTo(NtStatus.FLT_NOT_INITIALIZED));
    }
}
