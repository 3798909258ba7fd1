package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The misuse holes a new user found in the life cycle (issue "Core v2"): each answers at once with the
 * documented status, nothing wedges a name, the requester can wait for a timed-out unload's end, and every
 * diagnostic has a kind a program can check.
 */
@Timeout(60)
class LifecycleHolesTest {
    private FilterManager manager;

    @BeforeEach
    void setUp() {
        manager = FilterManager.builder().verifier(true).build();
        manager.mountVolume("vol", new MemoryBackend());
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** A filter whose unload is stuck on a reference the test holds, until it lets go. */
    private ObjectReference stuckUnload(String name, AtomicReference<NtStatus> unloaded) {
        TestFilter t = TestFilter.load(manager, name, "370000", b -> b);
        ObjectReference held = t.filter().reference();
        Thread.ofPlatform().name("unloader").start(() -> unloaded.set(manager.unloadFilter(name)));
        Await.until("the unload waits for the reference", () -> manager.explain(name).orElseThrow()
                .holders(HolderKind.OBJECT_REFERENCE).size() == 1 && t.filter().state() == Filter.State.DRAINING);
        return held;
    }

    @Test
    void hole2_aLoadWhileAnUnloadIsStuckAnswersAtOnceWithDriverFailedPriorUnload() {
        AtomicReference<NtStatus> unloaded = new AtomicReference<>();
        ObjectReference held = stuckUnload("stuck", unloaded);
        Thread.currentThread().interrupt(); // an interrupt is not needed to get the answer, and stays set
        try {
            assertThat(manager.loadFilter("stuck")).isEqualTo(NtStatus.DRIVER_FAILED_PRIOR_UNLOAD);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        held.close();
        Await.until("the unload finished", () -> unloaded.get() != null);
        assertThat(unloaded.get()).isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.loadFilter("stuck")).isEqualTo(NtStatus.SUCCESS);
    }

    @Test
    void hole3_aBoundedUnloadFromTheFiltersOwnUnloadCallbackFailsAtOnce() {
        AtomicReference<FilterManager.UnloadOutcome> inner = new AtomicReference<>();
        AtomicReference<NtStatus> innerUnbounded = new AtomicReference<>();
        TestFilter[] t = new TestFilter[1];
        t[0] = TestFilter.load(manager, "selfish", "370000", b -> b.onUnload(flags -> {
            inner.set(manager.unloadFilter("selfish", UnloadMode.MANDATORY, Duration.ofMinutes(10)));
            innerUnbounded.set(manager.unloadFilter("selfish", UnloadMode.MANDATORY));
            t[0].filter().unregister();
            return NtStatus.SUCCESS;
        }));
        assertThat(manager.unloadFilter("selfish")).isEqualTo(NtStatus.SUCCESS);
        assertThat(inner.get().status()).isEqualTo(NtStatus.POSSIBLE_DEADLOCK);
        assertThat(inner.get().completion()).isCompletedWithValue(NtStatus.POSSIBLE_DEADLOCK);
        assertThat(innerUnbounded.get()).isEqualTo(NtStatus.POSSIBLE_DEADLOCK);
        assertThat(manager.diagnostics()).filteredOn(d -> d.kind() == Diagnostic.Kind.SELF_DEADLOCK).hasSize(2);
    }

    @Test
    void hole4_aFilterThatUnregistersOutsideItsUnloadFreesItsName() throws Exception {
        AtomicInteger unloadCalls = new AtomicInteger();
        TestFilter t = TestFilter.load(manager, "quitter", "370000", b -> b.onUnload(flags -> {
            unloadCalls.incrementAndGet();
            return NtStatus.SUCCESS;
        }));
        Thread worker = Thread.ofPlatform().name("work-item").start(() -> t.filter().unregister()); // after an error, say
        Await.joined(worker);
        assertThat(t.filter().state()).isEqualTo(Filter.State.UNREGISTERED);
        assertThat(manager.filters()).as("it stopped filtering: gone from the list").isEmpty();
        assertThat(manager.unloadFilter("quitter")).as("nothing left to wait for").isEqualTo(NtStatus.SUCCESS);
        assertThat(unloadCalls).as("no unload callback for a filter that is gone").hasValue(0);
        assertThat(manager.loadFilter("quitter")).isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.filters()).extracting(FilterManager.FilterInfo::name).containsExactly("quitter");

        // and loaded again straight away, without an unload in between
        Filter second = manager.filter("quitter").orElseThrow();
        second.unregister();
        assertThat(manager.loadFilter("quitter")).isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.filter("quitter")).get().isNotSameAs(second);
    }

    @Test
    void hole5_aDriverEntrysOwnFailureStatusReachesTheRequester() {
        manager.registerDriver("picky", () -> (mgr, config) -> NtStatus.INVALID_PARAMETER);
        assertThat(manager.loadFilter("picky")).isEqualTo(NtStatus.INVALID_PARAMETER);
        assertThat(manager.diagnostics()).anySatisfy(d -> {
            assertThat(d.kind()).isEqualTo(Diagnostic.Kind.LOAD_FAILED);
            assertThat(d.filter()).isEqualTo("picky");
            assertThat(d.message()).contains("STATUS_INVALID_PARAMETER");
        });
        manager.registerDriver("thrower", () -> (mgr, config) -> {
            throw new IllegalStateException("boom");
        });
        assertThat(manager.loadFilter("thrower")).as("no status of its own").isEqualTo(NtStatus.FAILED_DRIVER_ENTRY);
    }

    @Test
    void hole6_aTimedOutUnloadsCompletionTellsWhenItEnds() {
        TestFilter t = TestFilter.load(manager, "slowpoke", "370000", b -> b);
        ObjectReference held = t.filter().reference();
        FilterManager.UnloadOutcome o = manager.unloadFilter("slowpoke", UnloadMode.OPTIONAL, Duration.ofMillis(50));
        assertThat(o.status()).isEqualTo(NtStatus.TIMEOUT);
        assertThat(o.report().holders(HolderKind.OBJECT_REFERENCE)).hasSize(1);
        assertThat(o.completion()).isNotDone();
        held.close();
        assertThat(o.completion().orTimeout(30, java.util.concurrent.TimeUnit.SECONDS).join()).isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.filters()).isEmpty();

        TestFilter.load(manager, "quick", "370001", b -> b);
        FilterManager.UnloadOutcome done = manager.unloadFilter("quick", UnloadMode.OPTIONAL, Duration.ofSeconds(30));
        assertThat(done.status()).isEqualTo(NtStatus.SUCCESS);
        assertThat(done.completion()).isCompletedWithValue(NtStatus.SUCCESS);
    }

    @Test
    void hole7_everyDiagnosticHasAKindAProgramCanCheck() {
        TestFilter t = TestFilter.load(manager, "sloppy", "370000", b -> b);
        ObjectReference ref = t.filter().reference();
        ref.close();
        ref.close();                                       // over-release
        assertThat(manager.unloadFilter("sloppy")).isEqualTo(NtStatus.SUCCESS);
        t.filter().unregister();                           // again
        assertThat(t.filter().queueWorkItem(() -> { })).isEqualTo(NtStatus.FLT_DELETING_OBJECT); // after unregister
        assertThat(manager.diagnostics()).extracting(Diagnostic::kind).contains(Diagnostic.Kind.OVER_RELEASE,
                Diagnostic.Kind.REPEATED_UNREGISTER, Diagnostic.Kind.CALL_AFTER_UNREGISTER);
        assertThat(manager.diagnostics()).allSatisfy(d -> assertThat(d.kind().isMisuse()).isTrue());
        assertThat(Diagnostic.Kind.FORCED_UNREGISTER.isMisuse()).isFalse();
    }

    @Test
    void aDismountWaitsAndReportsAsUnregisterDoesAndAnInterruptDoesNotEndIt() {
        FilterManager quick = FilterManager.builder().unloadWarningAfter(Duration.ofMillis(20)).build();
        try {
            Volume v = quick.mountVolume("held", new MemoryBackend());
            ObjectReference held = v.reference();
            AtomicReference<NtStatus> dismounted = new AtomicReference<>();
            Thread dismounter = Thread.ofPlatform().name("dismounter").start(() -> dismounted.set(quick.dismountVolume("held")));
            Await.until("the dismount reports what it waits for", () -> quick.diagnostics().stream()
                    .anyMatch(d -> d.kind() == Diagnostic.Kind.WAITING && d.filter().equals("volume held")
                            && d.message().contains("1 object reference(s)")));
            dismounter.interrupt();
            long reports = quick.diagnostics().stream().filter(d -> d.kind() == Diagnostic.Kind.WAITING).count();
            Await.until("still waiting after the interrupt", () -> quick.diagnostics().stream()
                    .filter(d -> d.kind() == Diagnostic.Kind.WAITING).count() > reports);
            assertThat(dismounted.get()).isNull();
            held.close();
            Await.joined(dismounter);
            assertThat(dismounted.get()).isEqualTo(NtStatus.SUCCESS);
        } finally {
            quick.close();
        }
    }
}
