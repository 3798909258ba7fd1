package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Verifier mode: the mistakes Windows catches with a bugcheck or never, reported with filter and call site. */
class VerifierTest extends ManagerFixture {

    @Test
    void theScannerBugFreeingGlobalStateBeforeUnregisterIsReported() {
        AtomicReference<FilterGlobal<List<String>>> extensions = new AtomicReference<>();
        CountDownLatch inPost = new CountDownLatch(1);
        CountDownLatch goOn = new CountDownLatch(1);
        TestFilter[] h = new TestFilter[1];
        h[0] = TestFilter.load(manager, "scanner", "265000", b -> b
                .onPostOperation(MajorFunction.CREATE, (d, o, c, dr) -> {
                    if (!dr) {
                        inPost.countDown();
                        Await.latch(goOn);
                        extensions.get().get().contains(d.fileNameInformation().extension());
                    }
                    return PostOpStatus.FINISHED_PROCESSING;
                })
                .onUnload(flags -> {
                    extensions.get().free(); // the sample's mistake: before unregister
                    goOn.countDown();
                    h[0].filter().unregister();
                    return NtStatus.SUCCESS;
                }));
        extensions.set(h[0].filter().global("extensions", List.of("doc", "txt")));
        Thread creator = Thread.ofPlatform().start(() -> TestFilter.create(volume, "/a.txt"));
        Await.latch(inPost);
        assertThat(manager.unloadFilter("scanner")).isEqualTo(NtStatus.SUCCESS);
        Await.joined(creator);
        assertThat(manager.diagnostics()).anySatisfy(d -> {
            assertThat(d.filter()).isEqualTo("scanner");
            assertThat(d.message()).contains("global 'extensions' freed before unregister returned", "VerifierTest");
        });
        assertThat(manager.diagnostics()).anySatisfy(d -> assertThat(d.message()).contains("used after it was freed"));
    }

    @Test
    void freeingAfterUnregisterIsFine() {
        AtomicReference<FilterGlobal<String>> g = new AtomicReference<>();
        TestFilter[] h = new TestFilter[1];
        h[0] = TestFilter.load(manager, "careful", "1", b -> b.onUnload(flags -> {
            h[0].filter().unregister();
            g.get().free();
            return NtStatus.SUCCESS;
        }));
        g.set(h[0].filter().global("state", "x"));
        assertThat(manager.unloadFilter("careful")).isEqualTo(NtStatus.SUCCESS);
        assertThat(g.get().isFreed()).isTrue();
        assertThat(manager.diagnostics()).noneMatch(d -> d.message().contains("global"));
    }

    @Test
    void callsAfterUnregisterAreReportedWithTheCallSite() {
        TestFilter t = TestFilter.load(manager, "after", "1", b -> b.context(ContextType.VOLUME, null));
        assertThat(manager.unloadFilter("after")).isEqualTo(NtStatus.SUCCESS);
        try {
            t.filter().allocateContext(ContextType.VOLUME, "late");
        } catch (NtStatusException e) {
            assertThat(e.status()).isEqualTo(NtStatus.FLT_DELETING_OBJECT);
        }
        assertThat(manager.diagnostics()).anySatisfy(d -> assertThat(d.message())
                .contains("allocate a context after unregister returned", "callsAfterUnregisterAreReportedWithTheCallSite"));
    }

    @Test
    void overReleaseDoubleDereferenceAndASecondUnregisterNameTheFilterAndTheCallSite() {
        TestFilter t = TestFilter.load(manager, "sloppy", "1", b -> b.context(ContextType.VOLUME, null));
        Context<String> ctx = t.filter().allocateContext(ContextType.VOLUME, "v");
        ctx.close();
        ctx.close();
        ObjectReference ref = t.filter().reference();
        ref.close();
        ref.close();
        assertThat(manager.unloadFilter("sloppy")).isEqualTo(NtStatus.SUCCESS);
        t.filter().unregister();
        assertThat(manager.diagnostics().stream().filter(d -> d.kind().isMisuse()))
                .allSatisfy(d -> assertThat(d.filter()).isEqualTo("sloppy"))
                .anySatisfy(d -> assertThat(d.message()).contains("released twice", "VerifierTest.java"))
                .anySatisfy(d -> assertThat(d.message()).contains("dereferenced twice", "VerifierTest.java"))
                .anySatisfy(d -> assertThat(d.message()).contains("called again", "VerifierTest.java"));
        assertThat(manager.diagnostics()).extracting(Diagnostic::kind).contains(Diagnostic.Kind.OVER_RELEASE,
                Diagnostic.Kind.REPEATED_UNREGISTER);
        assertThat(manager.diagnostics()).filteredOn(d -> d.message().contains("dereferenced twice"))
                .allSatisfy(d -> assertThat(d.kind()).isEqualTo(Diagnostic.Kind.OVER_RELEASE));
    }

    @Test
    void aPostOperationAskedForButNotRegisteredIsReportedWithTheInstance() {
        TestFilter.load(manager, "forgetful", "1", b -> b.onPreOperation(MajorFunction.CREATE,
                (d, o) -> PreOpStatus.SUCCESS_WITH_CALLBACK));
        TestFilter.create(volume, "/f");
        assertThat(manager.diagnostics()).anySatisfy(d -> {
            assertThat(d.filter()).isEqualTo("forgetful");
            assertThat(d.message()).contains("pre-operation CREATE of instance 'forgetful Instance'", "no post-operation");
        });
    }
}
