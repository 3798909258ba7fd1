package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.Instance.SetMode;
import dev.altitude.core.clock.CoarseClock;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * For each kind of rundown holder: it alone blocks an unload, the report names it (kind, instance, age,
 * and in verifier mode the call site), and releasing it lets the unload finish. A file the filter opened
 * ({@link HolderKind#OPEN_FILE}) and I/O it issued ({@link HolderKind#FILTER_IO}) are shown the same way in
 * {@link ReferencesTest}; the port kinds in the ports tests.
 */
class WhyWontItUnloadTest extends ManagerFixture {
    private static final Duration SHORT = Duration.ofMillis(200);
    private final CallbackDataQueue queue = new CallbackDataQueue();

    private UnloadReport blockedBy(String filter, HolderKind kind) {
        FilterManager.UnloadOutcome o = manager.unloadFilter(filter, UnloadMode.MANDATORY, SHORT);
        assertThat(o.status()).as("the unload waits").isEqualTo(NtStatus.TIMEOUT);
        assertThat(o.report().holders(kind)).as("the report names " + kind).isNotEmpty();
        assertThat(o.report().toText()).contains(kind.name(), "filter '" + filter + "' is DRAINING");
        return o.report();
    }

    private void finishes(String filter, Filter f) {
        f.awaitUnregistered();
        assertThat(manager.filter(filter)).isEmpty();
        assertThat(manager.explain(filter)).isEmpty();
    }

    @Test
    void aLeakedContextReferenceIsNamedWithTheSiteWhereItWasTaken() {
        TestFilter t = TestFilter.load(manager, "leaky", "1", b -> b.context(ContextType.STREAM, null));
        FileObject fo = TestFilter.open(volume, "/f");
        Instance inst = t.filter().instances().getFirst();
        Context<String> leaked = t.filter().allocateContext(ContextType.STREAM, "counter");
        inst.setContext(ContextType.STREAM, fo, leaked, SetMode.KEEP_IF_EXISTS);
        UnloadReport report = blockedBy("leaky", HolderKind.CONTEXT_REFERENCE);
        UnloadReport.Entry e = report.holders(HolderKind.CONTEXT_REFERENCE).getFirst();
        assertThat(e.detail()).contains("STREAM context counter", "1 reference(s)", "unlinked");
        assertThat(e.site()).as("verifier mode: where the reference was taken").isNotEmpty();
        assertThat(e.site().getFirst().getMethodName()).isEqualTo("aLeakedContextReferenceIsNamedWithTheSiteWhereItWasTaken");
        assertThat(manager.diagnostics()).anySatisfy(d -> assertThat(d.message()).contains("leaked context reference"));
        System.out.println("sample \"why won't it unload\" report:\n" + report.toText());
        leaked.close();
        finishes("leaky", t.filter());
    }

    @Test
    void aRunningCallback() {
        Gate gate = new Gate();
        TestFilter t = TestFilter.load(manager, "busy", "1", b -> b.onPreOperation(MajorFunction.WRITE, (d, o) -> {
            gate.pass();
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }));
        TestFilter.create(volume, "/f");
        Thread writer = Thread.ofPlatform().start(() -> TestFilter.write(volume, "/f", "x"));
        gate.awaitEntered();
        UnloadReport r = blockedBy("busy", HolderKind.RUNNING_CALLBACK);
        assertThat(r.phase()).contains("running pre-operations");
        gate.open();
        Await.joined(writer);
        finishes("busy", t.filter());
    }

    @Test
    void aPendedPreOperation() {
        TestFilter t = TestFilter.load(manager, "pend", "1", b -> b.onPreOperation(MajorFunction.READ, (d, o) -> {
            queue.insert(d);
            return PreOpStatus.PENDING;
        }));
        TestFilter.create(volume, "/f");
        Thread reader = Thread.ofPlatform().start(() -> TestFilter.read(volume, "/f", 1));
        Await.until("queued", () -> queue.size() == 1);
        UnloadReport r = blockedBy("pend", HolderKind.PENDED_PRE_OPERATION);
        assertThat(r.holders(HolderKind.PENDED_PRE_OPERATION).getFirst().detail()).contains("READ /f");
        queue.remove().completePendedPreOperation(PreOpStatus.SUCCESS_NO_CALLBACK, null);
        Await.joined(reader);
        finishes("pend", t.filter());
    }

    @Test
    void aPendedPostOperation() {
        AtomicReference<CallbackData> pended = new AtomicReference<>();
        TestFilter t = TestFilter.load(manager, "postpend", "1", b -> b.onPostOperation(MajorFunction.WRITE, (d, o, c, dr) -> {
            if (dr) {
                return PostOpStatus.FINISHED_PROCESSING;
            }
            pended.set(d);
            return PostOpStatus.MORE_PROCESSING_REQUIRED;
        }));
        TestFilter.create(volume, "/f");
        Thread writer = Thread.ofPlatform().start(() -> TestFilter.write(volume, "/f", "x"));
        Await.until("post pended", () -> pended.get() != null && pended.get().isPended());
        blockedBy("postpend", HolderKind.PENDED_POST_OPERATION);
        pended.get().completePendedPostOperation();
        Await.joined(writer);
        finishes("postpend", t.filter());
    }

    /**
     * The age of an owed post-operation is how long it has been owed, to the coarse clock's resolution: not how
     * long the clock has run (a stamp that did not come from the running clock), and it grows while the
     * operation stays in the backend.
     */
    @Test
    void anOwedPostOperationsAgeIsHowLongItHasBeenOwed() {
        GatedBackend gate = new GatedBackend();
        Volume slow = manager.mountVolume("slow", gate);
        TestFilter.load(manager, "aged", "1", b -> b.onOperation(MajorFunction.READ,
                (d, o) -> PreOpStatus.SUCCESS_WITH_CALLBACK, (d, o, c, dr) -> PostOpStatus.FINISHED_PROCESSING));
        TestFilter.create(slow, "/f");
        long resolution = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(CoarseClock.RESOLUTION_MILLIS);
        long clockStart = CoarseClock.now();
        Await.until("the coarse clock has run for 300 ms", () -> CoarseClock.now() - clockStart >= 300_000_000L);
        long before = System.nanoTime();
        Thread reader = Thread.ofPlatform().start(() -> TestFilter.read(slow, "/f", 1));
        try {
            gate.awaitEntered();
            Duration first = ownedAge("aged");
            long limit = System.nanoTime() - before + resolution;
            assertThat(first.toNanos()).as("owed for at most the time since the read began").isBetween(0L, limit);
            Await.until("the age grows by 200 ms while the read waits", () -> ownedAge("aged").compareTo(first.plusMillis(200)) >= 0);
            assertThat(ownedAge("aged")).as("the age grows with the wait").isGreaterThanOrEqualTo(
                    first.plusMillis(200 - CoarseClock.RESOLUTION_MILLIS));
        } finally {
            gate.open();
            Await.joined(reader);
        }
    }

    private Duration ownedAge(String filter) {
        return manager.explain(filter).orElseThrow().holders(HolderKind.OWED_POST_OPERATION).getFirst().age();
    }

    @Test
    void anOperationThatMustCompleteBecauseItsParametersWereReplaced() {
        GatedBackend gate = new GatedBackend();
        Volume slow = manager.mountVolume("slow", gate);
        TestFilter t = TestFilter.load(manager, "swap", "1", b -> b.onOperation(MajorFunction.READ, (d, o) -> {
            d.setParameters(new IoParameters.Read(0, ByteBuffer.allocate(1)));
            return PreOpStatus.SUCCESS_WITH_CALLBACK;
        }, (d, o, c, dr) -> PostOpStatus.FINISHED_PROCESSING));
        TestFilter.create(slow, "/f");
        Thread reader = Thread.ofPlatform().start(() -> TestFilter.read(slow, "/f", 1));
        gate.awaitEntered();
        UnloadReport r = blockedBy("swap", HolderKind.OWED_POST_OPERATION);
        assertThat(r.holders(HolderKind.OWED_POST_OPERATION).getFirst().detail()).contains("completes, not drained");
        gate.open();
        Await.joined(reader);
        finishes("swap", t.filter());
    }

    @Test
    void anInstanceReference() {
        TestFilter t = TestFilter.load(manager, "inst", "1", b -> b);
        ObjectReference ref = t.filter().instances().getFirst().reference();
        UnloadReport r = blockedBy("inst", HolderKind.OBJECT_REFERENCE);
        assertThat(r.holders()).singleElement().satisfies(e -> {
            assertThat(e.instance()).isEqualTo("inst Instance");
            assertThat(e.volume()).isEqualTo("vol");
        });
        ref.close();
        finishes("inst", t.filter());
    }

    @Test
    void anInstanceWorkItem() {
        TestFilter t = TestFilter.load(manager, "worker", "1", b -> b);
        Gate gate = new Gate();
        assertThat(t.filter().instances().getFirst().queueWorkItem(gate::pass)).isEqualTo(NtStatus.SUCCESS);
        gate.awaitEntered();
        UnloadReport r = blockedBy("worker", HolderKind.WORK_ITEM);
        assertThat(r.holders()).singleElement().satisfies(e -> assertThat(e.instance()).isEqualTo("worker Instance"));
        gate.open();
        finishes("worker", t.filter());
    }

    @Test
    void aFilterWorkItem() {
        TestFilter t = TestFilter.load(manager, "fworker", "1", b -> b);
        CountDownLatch release = new CountDownLatch(1);
        assertThat(t.filter().queueWorkItem(() -> Await.latch(release))).isEqualTo(NtStatus.SUCCESS);
        UnloadReport r = blockedBy("fworker", HolderKind.WORK_ITEM);
        assertThat(r.holders()).singleElement().satisfies(e -> assertThat(e.instance()).isNull());
        release.countDown();
        finishes("fworker", t.filter());
    }

    @Test
    void anAttachInProgress() {
        Gate gate = new Gate();
        TestFilter t = TestFilter.load(manager, "att", "1", b -> b.suppressAutomaticAttachment()
                .onInstanceSetup((o, f, ty) -> {
                    gate.pass();
                    return NtStatus.SUCCESS;
                }));
        Thread attacher = Thread.ofPlatform().start(() -> {
            try {
                manager.attach("att", "vol", null, null);
            } catch (NtStatusException expected) {
                // the filter unloads meanwhile
            }
        });
        gate.awaitEntered();
        blockedBy("att", HolderKind.ATTACH_IN_PROGRESS);
        gate.open();
        Await.joined(attacher);
        finishes("att", t.filter());
    }

    @Test
    void aLongWaitIsLoggedWithTheReportOncePerThreshold() {
        try (FilterManager quick = FilterManager.builder().verifier(true).unloadWarningAfter(Duration.ofMillis(50)).build()) {
            quick.mountVolume("v", new MemoryBackend());
            TestFilter t = TestFilter.load(quick, "slowpoke", "1", b -> b);
            ObjectReference ref = t.filter().reference();
            Thread unloader = Thread.ofPlatform().start(() -> quick.unloadFilter("slowpoke"));
            Await.until("a waiting report", () -> quick.diagnostics().stream()
                    .anyMatch(d -> d.kind() == Diagnostic.Kind.WAITING));
            Diagnostic d = quick.diagnostics().stream().filter(x -> x.kind() == Diagnostic.Kind.WAITING).findFirst().orElseThrow();
            assertThat(d.filter()).isEqualTo("slowpoke");
            assertThat(d.message()).contains("OBJECT_REFERENCE", "reference on filter 'slowpoke'", "unregister: remaining references");
            ref.close();
            Await.joined(unloader);
            long reports = quick.diagnostics().stream().filter(x -> x.kind() == Diagnostic.Kind.WAITING).count();
            assertThat(reports).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void explainOnAHealthyFilterListsNothing() {
        TestFilter.load(manager, "fine", "1", b -> b);
        UnloadReport r = manager.explain("fine").orElseThrow();
        assertThat(r.state()).isEqualTo(Filter.State.FILTERING);
        assertThat(r.holders()).isEmpty();
        assertThat(r.toText()).contains("nothing holds it");
        assertThat(manager.explain("absent")).isEmpty();
        assertThat(manager.unloadFilter("fine", UnloadMode.OPTIONAL, SHORT).status()).isEqualTo(NtStatus.SUCCESS);
    }
}
