package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.altitude.core.Instance.SetMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Spec §5 and §6 invariants 49–54: context registration, reference counts, lifetime and cleanup. */
class ContextTest extends ManagerFixture {
    private final Map<Object, AtomicInteger> cleanups = new ConcurrentHashMap<>();
    private final List<String> cleanupLog = java.util.Collections.synchronizedList(new ArrayList<>());

    private TestFilter loadCtx(String name) {
        Callbacks.ContextCleanup cleanup = (value, type) -> {
            cleanups.computeIfAbsent(value, k -> new AtomicInteger()).incrementAndGet();
            cleanupLog.add(type + " " + value);
        };
        return TestFilter.load(manager, name, "370070", b -> b
                .context(ContextType.STREAM, cleanup)
                .context(ContextType.STREAM_HANDLE, cleanup)
                .context(ContextType.INSTANCE, cleanup)
                .context(ContextType.VOLUME, cleanup)
                .context(ContextType.FILE, cleanup)
                .onInstanceQueryTeardown(o -> NtStatus.SUCCESS));
    }

    private Instance instanceOf(TestFilter t) {
        return t.filter().instances().getFirst();
    }

    @Test
    void inv50_allocateIsOneSetGetReferenceAddOneReleaseRemovesOne() {
        TestFilter t = loadCtx("ctx");
        Instance inst = instanceOf(t);
        FileObject fo = TestFilter.open(volume, "/f");
        Context<String> ctx = t.filter().allocateContext(ContextType.STREAM, "s1");
        assertThat(ctx.referenceCount()).isEqualTo(1);
        assertThat(inst.setContext(ContextType.STREAM, fo, ctx, SetMode.KEEP_IF_EXISTS).status()).isEqualTo(NtStatus.SUCCESS);
        assertThat(ctx.referenceCount()).isEqualTo(2);
        Context<String> got = inst.<String>getContext(ContextType.STREAM, fo).orElseThrow();
        assertThat(got.value()).isEqualTo("s1");
        assertThat(ctx.referenceCount()).isEqualTo(3);
        Context<String> more = got.reference();
        assertThat(ctx.referenceCount()).isEqualTo(4);
        more.close();
        got.close();
        ctx.close();
        assertThat(ctx.referenceCount()).as("the link's reference remains").isEqualTo(1);
        assertThat(cleanups).isEmpty();
    }

    @Test
    void inv49_cleanupRunsExactlyOnceAfterUnlinkAndLastRelease() {
        TestFilter t = loadCtx("ctx");
        Instance inst = instanceOf(t);
        FileObject fo = TestFilter.open(volume, "/f");
        Context<String> ctx = t.filter().allocateContext(ContextType.STREAM, "once");
        inst.setContext(ContextType.STREAM, fo, ctx, SetMode.KEEP_IF_EXISTS);
        Context<String> held = ctx.reference();
        ctx.close();
        assertThat(inst.deleteContext(ContextType.STREAM, fo)).isEqualTo(NtStatus.SUCCESS);
        assertThat(cleanups).as("still referenced: not freed").isEmpty();
        assertThat(inst.getContext(ContextType.STREAM, fo)).as("unlinked").isEmpty();
        held.close();
        assertThat(cleanups.get("once")).hasValue(1);
        assertThat(inst.deleteContext(ContextType.STREAM, fo)).isEqualTo(NtStatus.NOT_FOUND);
        assertThat(cleanups.get("once")).hasValue(1);
    }

    @Test
    void inv51_keepIfExistsLeavesBothCountsAloneButTheReturnedReference() {
        TestFilter t = loadCtx("ctx");
        Instance inst = instanceOf(t);
        FileObject fo = TestFilter.open(volume, "/f");
        Context<String> first = t.filter().allocateContext(ContextType.STREAM, "first");
        Context<String> second = t.filter().allocateContext(ContextType.STREAM, "second");
        inst.setContext(ContextType.STREAM, fo, first, SetMode.KEEP_IF_EXISTS);
        int firstBefore = first.referenceCount();
        Instance.SetResult<String> r = inst.setContext(ContextType.STREAM, fo, second, SetMode.KEEP_IF_EXISTS);
        assertThat(r.status()).isEqualTo(NtStatus.FLT_CONTEXT_ALREADY_DEFINED);
        assertThat(r.existing().value()).isEqualTo("first");
        assertThat(first.referenceCount()).isEqualTo(firstBefore + 1);
        assertThat(second.referenceCount()).isEqualTo(1);
        r.existing().close();
        second.close();
        assertThat(cleanups.get("second")).as("inv53: allocated, never set, freed on its last release").hasValue(1);
        first.close();
    }

    @Test
    void replaceIfExistsReturnsTheOldContextReferenced() {
        TestFilter t = loadCtx("ctx");
        Instance inst = instanceOf(t);
        Context<String> a = t.filter().allocateContext(ContextType.INSTANCE, "a");
        Context<String> b = t.filter().allocateContext(ContextType.INSTANCE, "b");
        inst.setContext(ContextType.INSTANCE, null, a, SetMode.KEEP_IF_EXISTS);
        a.close();
        Instance.SetResult<String> r = inst.setContext(ContextType.INSTANCE, null, b, SetMode.REPLACE_IF_EXISTS);
        assertThat(r.status()).isEqualTo(NtStatus.SUCCESS);
        assertThat(r.existing().value()).isEqualTo("a");
        assertThat(r.existing().isLinked()).isFalse();
        r.existing().close();
        assertThat(cleanups.get("a")).hasValue(1);
        assertThat(inst.<String>getContext(ContextType.INSTANCE, null).map(c -> {
            try (c) {
                return c.value();
            }
        })).contains("b");
        b.close();
    }

    @Test
    void setAndAllocateErrors() {
        TestFilter t = loadCtx("ctx");
        TestFilter bare = TestFilter.load(manager, "bare", "1", b -> b);
        Instance inst = instanceOf(t);
        assertThat(catchThrowableOfType(NtStatusException.class,
                () -> bare.filter().allocateContext(ContextType.STREAM, "x")).status())
                .isEqualTo(NtStatus.FLT_CONTEXT_ALLOCATION_NOT_FOUND);
        Context<String> c = t.filter().allocateContext(ContextType.STREAM_HANDLE, "h");
        FileObject notOpen = new FileObject("/nothing");
        assertThat(inst.setContext(ContextType.STREAM_HANDLE, notOpen, c, SetMode.KEEP_IF_EXISTS).status())
                .as("no context before the file is opened").isEqualTo(NtStatus.NOT_SUPPORTED);
        FileObject fo = TestFilter.open(volume, "/f");
        FileObject other = TestFilter.open(volume, "/g");
        assertThat(inst.setContext(ContextType.STREAM_HANDLE, fo, c, SetMode.KEEP_IF_EXISTS).status()).isEqualTo(NtStatus.SUCCESS);
        assertThat(inst.setContext(ContextType.STREAM_HANDLE, other, c, SetMode.KEEP_IF_EXISTS).status())
                .isEqualTo(NtStatus.FLT_CONTEXT_ALREADY_LINKED);
        assertThat(inst.getContext(ContextType.STREAM, fo)).as("STATUS_NOT_FOUND").isEmpty();
        c.close();
    }

    @Test
    void inv54_overReleaseAndUseAfterFreeAreReportedAndCorruptNothing() {
        TestFilter t = loadCtx("ctx");
        Context<String> c = t.filter().allocateContext(ContextType.VOLUME, "v");
        Context<String> extra = c.reference();
        extra.close();
        extra.close(); // over-release through the same reference
        assertThat(c.referenceCount()).isEqualTo(1);
        assertThat(manager.diagnostics()).anySatisfy(d -> assertThat(d.message()).contains("released twice", "0xF5/0x6D"));
        c.close();
        assertThat(cleanups.get("v")).hasValue(1);
        NtStatusException e = catchThrowableOfType(NtStatusException.class, c::reference);
        assertThat(e.status()).isEqualTo(NtStatus.FILE_CLOSED);
        assertThat(manager.diagnostics()).anySatisfy(d -> assertThat(d.message()).contains("0xF5/0x6E"));
        assertThat(cleanups.get("v")).hasValue(1);
    }

    @Test
    void streamHandleContextsDieWithTheHandleStreamContextsWithTheLastClose() {
        TestFilter t = loadCtx("ctx");
        Instance inst = instanceOf(t);
        FileObject h1 = TestFilter.open(volume, "/f");
        FileObject h2 = TestFilter.open(volume, "/f");
        try (Context<String> s = t.filter().allocateContext(ContextType.STREAM, "stream");
             Context<String> sh = t.filter().allocateContext(ContextType.STREAM_HANDLE, "handle1")) {
            inst.setContext(ContextType.STREAM, h1, s, SetMode.KEEP_IF_EXISTS);
            inst.setContext(ContextType.STREAM_HANDLE, h1, sh, SetMode.KEEP_IF_EXISTS);
        }
        assertThat(inst.<String>getContext(ContextType.STREAM, h2).map(c -> {
            try (c) {
                return c.value();
            }
        })).as("one stream for both handles").contains("stream");
        assertThat(inst.getContext(ContextType.STREAM_HANDLE, h2)).isEmpty();
        TestFilter.close(volume, h1);
        assertThat(cleanupLog).containsExactly("STREAM_HANDLE handle1");
        TestFilter.close(volume, h2);
        assertThat(cleanupLog).containsExactly("STREAM_HANDLE handle1", "STREAM stream");
    }

    @Test
    void inv52_noContextAfterDetachAndNoneLinkedAfterUnregister() {
        TestFilter t = loadCtx("ctx");
        Instance inst = instanceOf(t);
        FileObject fo = TestFilter.open(volume, "/f");
        for (ContextType type : new ContextType[] {ContextType.INSTANCE, ContextType.STREAM, ContextType.STREAM_HANDLE,
                ContextType.FILE, ContextType.VOLUME}) {
            try (Context<String> c = t.filter().allocateContext(type, type.name())) {
                assertThat(inst.setContext(type, type == ContextType.INSTANCE || type == ContextType.VOLUME ? null : fo,
                        c, SetMode.KEEP_IF_EXISTS).status()).isEqualTo(NtStatus.SUCCESS);
            }
        }
        assertThat(manager.detach("ctx", "vol", null)).isEqualTo(NtStatus.SUCCESS);
        assertThat(inst.getContext(ContextType.INSTANCE, null)).isEmpty();
        assertThat(inst.getContext(ContextType.STREAM, fo)).isEmpty();
        assertThat(inst.getContext(ContextType.STREAM_HANDLE, fo)).isEmpty();
        assertThat(cleanupLog).containsExactlyInAnyOrder("INSTANCE INSTANCE", "STREAM STREAM", "STREAM_HANDLE STREAM_HANDLE",
                "FILE FILE");
        try (Context<String> late = t.filter().allocateContext(ContextType.INSTANCE, "late")) {
            assertThat(inst.setContext(ContextType.INSTANCE, null, late, SetMode.KEEP_IF_EXISTS).status())
                    .isEqualTo(NtStatus.FLT_DELETING_OBJECT);
        }
        assertThat(manager.unloadFilter("ctx")).isEqualTo(NtStatus.SUCCESS);
        assertThat(cleanupLog).contains("VOLUME VOLUME", "INSTANCE late");
        assertThat(t.filter().contexts.liveCount()).isZero();
        assertThat(cleanups.values()).allSatisfy(n -> assertThat(n).hasValue(1));
    }

    @Test
    void noCleanupAfterUnregisterReturned() {
        AtomicInteger afterUnregister = new AtomicInteger();
        TestFilter[] h = new TestFilter[1];
        boolean[] unregistered = new boolean[1];
        h[0] = TestFilter.load(manager, "late", "370070", b -> b
                .context(ContextType.STREAM, (v, ty) -> {
                    if (unregistered[0]) {
                        afterUnregister.incrementAndGet();
                    }
                })
                .onUnload(flags -> {
                    h[0].filter().unregister();
                    unregistered[0] = true;
                    return NtStatus.SUCCESS;
                }));
        FileObject fo = TestFilter.open(volume, "/f");
        Context<String> c = h[0].filter().allocateContext(ContextType.STREAM, "x");
        h[0].filter().instances().getFirst().setContext(ContextType.STREAM, fo, c, SetMode.KEEP_IF_EXISTS);
        c.close();
        assertThat(manager.unloadFilter("late")).isEqualTo(NtStatus.SUCCESS);
        TestFilter.close(volume, fo);
        assertThat(afterUnregister).hasValue(0);
    }

    @Test
    void theCtxSampleRaceNThreadsOpeningOneFileCreateExactlyOneStreamContext() throws Exception {
        AtomicInteger allocated = new AtomicInteger();
        AtomicInteger lostRaces = new AtomicInteger();
        Map<String, Context<AtomicInteger>> winners = new ConcurrentHashMap<>();
        TestFilter t = TestFilter.load(manager, "ctxrace", "370070", b -> b
                .context(ContextType.STREAM, (v, ty) -> cleanups.computeIfAbsent(v, k -> new AtomicInteger()).incrementAndGet())
                .onPostOperation(MajorFunction.CREATE, (data, o, c, draining) -> {
                    if (draining || data.status().isFailure()) {
                        return PostOpStatus.FINISHED_PROCESSING;
                    }
                    Context<AtomicInteger> mine = o.filter().allocateContext(ContextType.STREAM, new AtomicInteger());
                    allocated.incrementAndGet();
                    Instance.SetResult<AtomicInteger> r = o.instance().setContext(ContextType.STREAM, data.fileObject(),
                            mine, SetMode.KEEP_IF_EXISTS);
                    Context<AtomicInteger> use = mine;
                    if (r.status().equals(NtStatus.FLT_CONTEXT_ALREADY_DEFINED)) {
                        lostRaces.incrementAndGet();
                        mine.close(); // release our copy, use the winner's
                        use = r.existing();
                    }
                    use.value().incrementAndGet(); // the create counter
                    use.close();
                    return PostOpStatus.FINISHED_PROCESSING;
                }));
        int threads = 8;
        int opens = 50;
        CountDownLatch go = new CountDownLatch(1);
        List<FileObject> handles = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            workers.add(Thread.ofPlatform().start(() -> {
                Await.latch(go);
                for (int k = 0; k < opens; k++) {
                    handles.add(TestFilter.open(volume, "/shared"));
                }
            }));
        }
        go.countDown();
        workers.forEach(Await::joined);
        Instance inst = t.filter().instances().getFirst();
        try (Context<AtomicInteger> stream = inst.<AtomicInteger>getContext(ContextType.STREAM, handles.getFirst()).orElseThrow()) {
            assertThat(stream.value()).as("the counter saw every create").hasValue(threads * opens);
        }
        assertThat(allocated.get() - lostRaces.get()).as("exactly one context won").isEqualTo(1);
        assertThat(cleanups).as("every losing copy was freed").hasSize(lostRaces.get());
        handles.forEach(h -> TestFilter.close(volume, h));
        assertThat(cleanups).as("the winner is freed at the last close").hasSize(lostRaces.get() + 1);
        assertThat(cleanups.values()).allSatisfy(n -> assertThat(n).hasValue(1));
        assertThat(winners).isEmpty();
    }
}
