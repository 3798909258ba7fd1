package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Invariants 16–19, 26, 32, 55, 56: references, work items and filter I/O hold an unload; names. */
class ReferencesTest extends ManagerFixture {

    private static final Duration SHORT = Duration.ofMillis(200);

    @Test
    void inv16_unregisterWaitsForAQueuedWorkItemToFinish() {
        TestFilter t = TestFilter.load(manager, "w", "1", b -> b);
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        AtomicBoolean finished = new AtomicBoolean();
        assertThat(t.filter().queueWorkItem(() -> {
            running.countDown();
            Await.latch(finish);
            finished.set(true);
        })).isEqualTo(NtStatus.SUCCESS);
        Await.latch(running);
        FilterManager.UnloadOutcome o = manager.unloadFilter("w", UnloadMode.OPTIONAL, SHORT);
        assertThat(o.status()).isEqualTo(NtStatus.TIMEOUT);
        assertThat(o.report().holders(HolderKind.WORK_ITEM)).hasSize(1);
        assertThat(t.filter().state()).isEqualTo(Filter.State.DRAINING);
        finish.countDown();
        t.filter().awaitUnregistered();
        assertThat(finished).isTrue();
    }

    @Test
    void inv17_inv56_anUnpairedObjectReferenceHoldsUnregisterUntilDereferenced() {
        TestFilter t = TestFilter.load(manager, "r", "1", b -> b);
        ObjectReference ref = t.filter().reference();
        FilterManager.UnloadOutcome o = manager.unloadFilter("r", UnloadMode.MANDATORY, SHORT);
        assertThat(o.status()).isEqualTo(NtStatus.TIMEOUT);
        assertThat(o.report().holders(HolderKind.OBJECT_REFERENCE)).singleElement()
                .satisfies(e -> assertThat(e.detail()).contains("reference on filter 'r'"));
        ref.close();
        t.filter().awaitUnregistered();
        assertThat(manager.filter("r")).isEmpty();
    }

    @Test
    void inv18_unregisterWaitsForIoTheFilterIssued() {
        GatedBackend gate = new GatedBackend();
        Volume slow = manager.mountVolume("slow", gate);
        TestFilter t = TestFilter.load(manager, "io", "1", b -> b);
        TestFilter.create(slow, "/f");
        Instance inst = t.filter().instances().stream().filter(i -> i.volume() == slow).findFirst().orElseThrow();
        Thread issuer = Thread.ofPlatform().start(() -> inst.performIo(
                new CallbackData(new FileObject("/f"), new IoParameters.Read(0, ByteBuffer.allocate(4)))));
        gate.awaitEntered();
        FilterManager.UnloadOutcome o = manager.unloadFilter("io", UnloadMode.OPTIONAL, SHORT);
        assertThat(o.status()).isEqualTo(NtStatus.TIMEOUT);
        assertThat(o.report().holders(HolderKind.FILTER_IO)).singleElement()
                .satisfies(e -> assertThat(e.detail()).contains("READ /f"));
        gate.open();
        Await.joined(issuer);
        t.filter().awaitUnregistered();
    }

    @Test
    void inv19_inv55_afterUnregisterBeganNewReferencesContextsWorkItemsAndAttachesAreRefused() {
        CountDownLatch inStart = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        TestFilter t = TestFilter.load(manager, "d", "1", b -> b.context(ContextType.VOLUME, null)
                .onInstanceTeardownStart((o, r) -> {
                    inStart.countDown();
                    Await.latch(finish);
                }));
        Instance inst = t.filter().instances().getFirst();
        Thread unloader = Thread.ofPlatform().start(() -> manager.unloadFilter("d"));
        Await.latch(inStart);
        Filter f = t.filter();
        assertThat(catchThrowableOfType(NtStatusException.class, f::reference).status()).isEqualTo(NtStatus.FLT_DELETING_OBJECT);
        assertThat(catchThrowableOfType(NtStatusException.class, inst::reference).status()).isEqualTo(NtStatus.FLT_DELETING_OBJECT);
        assertThat(catchThrowableOfType(NtStatusException.class, () -> f.allocateContext(ContextType.VOLUME, "x")).status())
                .isEqualTo(NtStatus.FLT_DELETING_OBJECT);
        AtomicInteger ran = new AtomicInteger();
        assertThat(f.queueWorkItem(ran::incrementAndGet)).isEqualTo(NtStatus.FLT_DELETING_OBJECT);
        assertThat(inst.queueWorkItem(ran::incrementAndGet)).as("against an instance tearing down")
                .isEqualTo(NtStatus.FLT_DELETING_OBJECT);
        assertThat(catchThrowableOfType(NtStatusException.class, () -> manager.attach("d", "vol", "x", "2")).status())
                .isEqualTo(NtStatus.FLT_DELETING_OBJECT);
        finish.countDown();
        Await.joined(unloader);
        assertThat(ran).as("a refused work item never runs").hasValue(0);
        assertThat(f.queueWorkItem(ran::incrementAndGet)).isEqualTo(NtStatus.FLT_DELETING_OBJECT);
        assertThat(manager.diagnostics()).anySatisfy(d -> assertThat(d.message()).contains("after unregister returned"));
    }

    @Test
    void inv26_anInstanceReferenceDoesNotDelayTeardownCompleteButDelaysTheEnd() {
        List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
        TestFilter t = TestFilter.load(manager, "i", "1", b -> b
                .onInstanceQueryTeardown(o -> NtStatus.SUCCESS)
                .onInstanceTeardownComplete((o, r) -> events.add("complete")));
        Instance inst = t.filter().instances().getFirst();
        ObjectReference ref = inst.reference();
        Thread detacher = Thread.ofPlatform().start(() -> manager.detach("i", "vol", null));
        Await.until("teardown complete called", () -> events.contains("complete"));
        Await.until("detach waits for the reference", () -> manager.explain("i").map(r -> r.phase() != null
                && r.phase().contains("references on the instance")).orElse(false));
        assertThat(manager.explain("i").orElseThrow().holders(HolderKind.OBJECT_REFERENCE)).singleElement()
                .satisfies(e -> assertThat(e.instance()).isEqualTo("i Instance"));
        assertThat(volume.members()).as("name and altitude still taken").contains(inst);
        ref.close();
        Await.joined(detacher);
        assertThat(volume.members()).doesNotContain(inst);
        ref.close(); // twice: reported, harmless
        assertThat(manager.diagnostics()).anySatisfy(d -> assertThat(d.message()).contains("dereferenced twice"));
    }

    @Test
    void filterIoGoesOnlyToTheInstancesBelow() {
        List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        for (String[] f : new String[][] {{"top", "300"}, {"mid", "200"}, {"low", "100"}}) {
            TestFilter.load(manager, f[0], f[1], b -> b.onPreOperation(MajorFunction.WRITE, (d, o) -> {
                seen.add(o.filter().name());
                return PreOpStatus.SUCCESS_NO_CALLBACK;
            }));
        }
        TestFilter.create(volume, "/f");
        Instance mid = manager.filter("mid").orElseThrow().instances().getFirst();
        FileObject fo = mid.createFile("/own.txt", new IoParameters.Create(Set.of(IoParameters.Access.WRITE_DATA),
                IoParameters.CreateDisposition.OPEN_IF, Set.of(), IoParameters.FileKind.FILE, null, null));
        assertThat(mid.performIo(new CallbackData(fo, new IoParameters.Write(0,
                ByteBuffer.wrap("mine".getBytes(StandardCharsets.UTF_8)))))).isEqualTo(NtStatus.SUCCESS);
        assertThat(seen).containsExactly("low");
        assertThat(backend.content("/own.txt")).containsExactly('m', 'i', 'n', 'e');
        assertThat(mid.closeFile(fo)).isEqualTo(NtStatus.SUCCESS);
    }

    @Test
    void aFileTheFilterOpenedKeepsUnregisterWaitingUntilClosedInTeardownComplete() {
        List<FileObject> opened = new ArrayList<>();
        TestFilter t = TestFilter.load(manager, "opener", "1", b -> b);
        Instance inst = t.filter().instances().getFirst();
        opened.add(inst.createFile("/side", new IoParameters.Create(Set.of(IoParameters.Access.WRITE_DATA),
                IoParameters.CreateDisposition.OPEN_IF, Set.of(), IoParameters.FileKind.FILE, null, null)));
        FilterManager.UnloadOutcome o = manager.unloadFilter("opener", UnloadMode.MANDATORY, SHORT);
        assertThat(o.status()).isEqualTo(NtStatus.TIMEOUT);
        assertThat(o.report().holders(HolderKind.OPEN_FILE)).singleElement()
                .satisfies(e -> assertThat(e.detail()).contains("/side"));
        assertThat(inst.closeFile(opened.getFirst())).isEqualTo(NtStatus.SUCCESS);
        t.filter().awaitUnregistered();
    }

    @Test
    void nameInformationIsNormalizedAndSplit() {
        FileNameInformation n = FileNameInformation.of("vol", "/dir//sub/./x/../report.final.txt");
        assertThat(n.name()).isEqualTo("/dir/sub/report.final.txt");
        assertThat(n.parentDir()).isEqualTo("/dir/sub/");
        assertThat(n.finalComponent()).isEqualTo("report.final.txt");
        assertThat(n.extension()).isEqualTo("txt");
        assertThat(FileNameInformation.of("vol", "/../..").name()).isEqualTo("/");
        assertThat(FileNameInformation.of("vol", "/.profile").extension()).isEmpty();
        List<FileNameInformation> seen = new ArrayList<>();
        TestFilter.load(manager, "names", "1", b -> b.onPreOperation(MajorFunction.CREATE, (d, o) -> {
            seen.add(d.fileNameInformation());
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }));
        TestFilter.create(volume, "/a.doc");
        assertThat(seen).singleElement().satisfies(i -> {
            assertThat(i.volume()).isEqualTo("vol");
            assertThat(i.extension()).isEqualTo("doc");
        });
    }

    @Test
    void inv32_aDeferredIoWorkItemContinuesAPendedOperationUntilTheInstanceTearsDown() {
        Gate inTeardown = new Gate();
        AtomicReference<NtStatus> queuedInTeardown = new AtomicReference<>();
        TestFilter t = TestFilter.load(manager, "defer", "1", b -> b
                .onPreOperation(MajorFunction.READ, (d, o) -> {
                    NtStatus q = o.instance().queueDeferredIoWorkItem(d, data -> {
                        data.complete(NtStatus.END_OF_FILE, 0);
                        data.completePendedPreOperation(PreOpStatus.COMPLETE, null);
                    });
                    return q.isSuccess() ? PreOpStatus.PENDING : PreOpStatus.SUCCESS_NO_CALLBACK;
                })
                .onInstanceTeardownStart((o, r) -> {
                    queuedInTeardown.set(o.instance().queueDeferredIoWorkItem(
                            new CallbackData(new FileObject("/f"), new IoParameters.Read(0, ByteBuffer.allocate(1))),
                            data -> { }));
                    inTeardown.pass();
                }));
        TestFilter.create(volume, "/f");
        assertThat(TestFilter.read(volume, "/f", 1).status()).as("completed by the deferred routine on a worker")
                .isEqualTo(NtStatus.END_OF_FILE);
        Thread unloader = Thread.ofPlatform().start(() -> manager.unloadFilter("defer"));
        inTeardown.awaitEntered();
        assertThat(queuedInTeardown.get()).isEqualTo(NtStatus.FLT_DELETING_OBJECT);
        inTeardown.open();
        Await.joined(unloader);
        assertThat(t.filter().state()).isEqualTo(Filter.State.UNREGISTERED);
    }
}
