package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Spec §3.4 and invariants 22, 24 and 33: pended pre- and post-operations, the cancel-safe queue. */
class PendingTest extends ManagerFixture {
    private final CallbackDataQueue queue = new CallbackDataQueue();
    private final List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());

    private TestFilter loadPender() {
        return TestFilter.load(manager, "pender", "370050", b -> b
                .onOperation(MajorFunction.READ, (d, o) -> {
                    NtStatus s = queue.insert(d);
                    return s.isSuccess() ? PreOpStatus.PENDING : PreOpStatus.SUCCESS_NO_CALLBACK;
                }, (d, o, c, draining) -> {
                    events.add("post " + c + (draining ? " draining" : ""));
                    return PostOpStatus.FINISHED_PROCESSING;
                })
                .onInstanceTeardownStart((o, r) -> {
                    queue.disable();
                    for (CallbackData d : queue.removeAll()) {
                        d.completePendedPreOperation(PreOpStatus.SUCCESS_NO_CALLBACK, null); // released downwards
                    }
                    events.add("teardown start");
                })
                .onInstanceTeardownComplete((o, r) -> events.add("teardown complete")));
    }

    private Thread reader(String path, AtomicReference<CallbackData> out) {
        return Thread.ofPlatform().name("reader").start(() -> out.set(TestFilter.read(volume, path, 16)));
    }

    @Test
    void aPendedReadWaitsAndResumesFromAnotherThreadInEachWay() {
        loadPender();
        TestFilter.create(volume, "/f");
        TestFilter.write(volume, "/f", "content");

        // resumed downwards with a post-operation and a completion context
        AtomicReference<CallbackData> r1 = new AtomicReference<>();
        Thread t1 = reader("/f", r1);
        Await.until("queued", () -> queue.size() == 1);
        CallbackData q1 = queue.remove();
        // queued by the pre-operation before it returned PENDING: pended once the dispatch has taken that status
        Await.until("pended", q1::isPended);
        assertThat(q1.completePendedPreOperation(PreOpStatus.SUCCESS_WITH_CALLBACK, "ctx1")).isEqualTo(NtStatus.SUCCESS);
        Await.joined(t1);
        assertThat(r1.get().status()).isEqualTo(NtStatus.SUCCESS);
        assertThat(StandardCharsets.UTF_8.decode(r1.get().parameters(IoParameters.Read.class).buffer().flip()).toString())
                .isEqualTo("content");
        assertThat(events).containsExactly("post ctx1");

        // completed by the filter: the file system never sees it
        AtomicReference<CallbackData> r2 = new AtomicReference<>();
        Thread t2 = reader("/f", r2);
        Await.until("queued", () -> queue.size() == 1);
        CallbackData d = queue.remove();
        d.complete(NtStatus.ACCESS_DENIED, 0);
        d.completePendedPreOperation(PreOpStatus.COMPLETE, null);
        Await.joined(t2);
        assertThat(r2.get().status()).isEqualTo(NtStatus.ACCESS_DENIED);
        assertThat(events).containsExactly("post ctx1");
    }

    @Test
    void inv33_resumeStatusesPendingSynchronizeAndDisallowFastIoAreRefused() {
        loadPender();
        TestFilter.create(volume, "/f");
        AtomicReference<CallbackData> r = new AtomicReference<>();
        Thread t = reader("/f", r);
        Await.until("queued", () -> queue.size() == 1);
        CallbackData d = queue.remove();
        // queued by the pre-operation before it returned PENDING: pended once the dispatch has taken that status
        // (under load the reader can still be on its way there when the queue shows it)
        Await.until("pended", d::isPended);
        for (PreOpStatus bad : new PreOpStatus[] {PreOpStatus.PENDING, PreOpStatus.SYNCHRONIZE, PreOpStatus.DISALLOW_FASTIO}) {
            assertThat(d.completePendedPreOperation(bad, null)).isEqualTo(NtStatus.INVALID_PARAMETER);
        }
        assertThat(d.isPended()).isTrue();
        assertThat(d.completePendedPreOperation(PreOpStatus.SUCCESS_NO_CALLBACK, null)).isEqualTo(NtStatus.SUCCESS);
        assertThat(d.completePendedPreOperation(PreOpStatus.SUCCESS_NO_CALLBACK, null)).as("only once")
                .isEqualTo(NtStatus.INVALID_PARAMETER);
        Await.joined(t);
    }

    @Test
    void inv22_unloadReleasesParkedReadsInTeardownStartAndCompleteComesAfter() {
        loadPender();
        TestFilter.create(volume, "/f");
        TestFilter.write(volume, "/f", "data");
        List<AtomicReference<CallbackData>> results = new ArrayList<>();
        List<Thread> readers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            AtomicReference<CallbackData> r = new AtomicReference<>();
            results.add(r);
            readers.add(reader("/f", r));
        }
        Await.until("three reads parked", () -> queue.size() == 3);
        assertThat(manager.unloadFilter("pender")).isEqualTo(NtStatus.SUCCESS);
        readers.forEach(Await::joined);
        for (AtomicReference<CallbackData> r : results) {
            assertThat(r.get().status()).isEqualTo(NtStatus.SUCCESS);
            assertThat(r.get().information()).isEqualTo(4);
        }
        assertThat(events).containsExactly("teardown start", "teardown complete");
        assertThat(queue.insert(new CallbackData(new FileObject("/f"), new IoParameters.Read(0, ByteBuffer.allocate(1)))))
                .isEqualTo(NtStatus.FLT_CBDQ_DISABLED);
    }

    @Test
    void teardownCompleteWaitsForAnOperationStillPended() {
        // a filter that does NOT release its queue in teardown-start: complete must wait for the pended read
        TestFilter.load(manager, "holder", "370050", b -> b
                .onPreOperation(MajorFunction.READ, (d, o) -> {
                    queue.insert(d);
                    return PreOpStatus.PENDING;
                })
                .onInstanceTeardownComplete((o, r) -> events.add("teardown complete")));
        TestFilter.create(volume, "/f");
        AtomicReference<CallbackData> r = new AtomicReference<>();
        Thread t = reader("/f", r);
        Await.until("queued", () -> queue.size() == 1);
        AtomicReference<NtStatus> unload = new AtomicReference<>();
        Thread unloader = Thread.ofPlatform().start(() -> unload.set(manager.unloadFilter("holder")));
        Await.until("unload waits for the pended operation", () -> manager.explain("holder")
                .map(rep -> !rep.holders(HolderKind.PENDED_PRE_OPERATION).isEmpty() && rep.phase() != null)
                .orElse(false));
        assertThat(events).isEmpty();
        queue.remove().completePendedPreOperation(PreOpStatus.SUCCESS_NO_CALLBACK, null);
        Await.joined(unloader);
        Await.joined(t);
        assertThat(unload.get()).isEqualTo(NtStatus.SUCCESS);
        assertThat(events).containsExactly("teardown complete");
    }

    @Test
    void interruptingAQueuedRequesterCancelsItsOperation() {
        loadPender();
        TestFilter.create(volume, "/f");
        TestFilter.write(volume, "/f", "keep");
        AtomicReference<CallbackData> r = new AtomicReference<>();
        AtomicReference<Boolean> interruptKept = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            r.set(TestFilter.read(volume, "/f", 4));
            interruptKept.set(Thread.currentThread().isInterrupted());
        });
        Await.until("queued", () -> queue.size() == 1);
        t.interrupt();
        Await.joined(t);
        assertThat(r.get().status()).isEqualTo(NtStatus.CANCELLED);
        assertThat(interruptKept.get()).isTrue();
        assertThat(queue.size()).isZero();
        assertThat(backend.content("/f")).containsExactly('k', 'e', 'e', 'p');
    }

    @Test
    void aPendedPostOperationIsCompletedLater() throws Exception {
        AtomicReference<CallbackData> pendedPost = new AtomicReference<>();
        CountDownLatch inPost = new CountDownLatch(1);
        TestFilter.load(manager, "postpend", "370050", b -> b.onPostOperation(MajorFunction.WRITE, (d, o, c, dr) -> {
            if (dr) {
                return PostOpStatus.FINISHED_PROCESSING;
            }
            pendedPost.set(d);
            inPost.countDown();
            return PostOpStatus.MORE_PROCESSING_REQUIRED;
        }));
        TestFilter.create(volume, "/f");
        AtomicReference<NtStatus> w = new AtomicReference<>();
        Thread writer = Thread.ofPlatform().start(() -> w.set(TestFilter.write(volume, "/f", "abc")));
        Await.latch(inPost);
        Await.until("the write pended in its post-operation", () -> manager.explain("postpend").orElseThrow()
                .holders(HolderKind.PENDED_POST_OPERATION).size() == 1);
        assertThat(w.get()).isNull();
        assertThat(pendedPost.get().completePendedPreOperation(PreOpStatus.COMPLETE, null))
                .as("a post-operation is not resumed as a pre").isEqualTo(NtStatus.INVALID_PARAMETER);
        assertThat(pendedPost.get().completePendedPostOperation()).isEqualTo(NtStatus.SUCCESS);
        Await.joined(writer);
        assertThat(w.get()).isEqualTo(NtStatus.SUCCESS);
    }

    @Test
    void anOperationWhoseParametersWereReplacedCompletesInsteadOfBeingDrained() {
        GatedBackend gate = new GatedBackend();
        Volume slow = manager.mountVolume("slow", gate);
        List<String> posts = java.util.Collections.synchronizedList(new ArrayList<>());
        TestFilter.load(manager, "swap", "141000", b -> b.onOperation(MajorFunction.READ, (d, o) -> {
            IoParameters.Read r = d.parameters(IoParameters.Read.class);
            d.setCompletionContext(r.buffer());
            d.setParameters(new IoParameters.Read(r.offset(), ByteBuffer.allocate(r.buffer().remaining())));
            return PreOpStatus.SUCCESS_WITH_CALLBACK;
        }, (d, o, original, draining) -> {
            posts.add(draining ? "drained" : "completed");
            if (!draining) {
                ((ByteBuffer) original).put(d.parameters(IoParameters.Read.class).buffer().flip());
            }
            return PostOpStatus.FINISHED_PROCESSING;
        }));
        TestFilter.create(slow, "/f");
        TestFilter.write(slow, "/f", "swapped");
        AtomicReference<CallbackData> r = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> r.set(TestFilter.read(slow, "/f", 7)));
        gate.awaitEntered();
        AtomicReference<NtStatus> unload = new AtomicReference<>();
        Thread unloader = Thread.ofPlatform().start(() -> unload.set(manager.unloadFilter("swap")));
        Await.until("unload waits for the swapped read", () -> manager.explain("swap")
                .map(rep -> rep.phase() != null && rep.phase().contains("post-operations")).orElse(false));
        gate.open();
        Await.joined(t);
        Await.joined(unloader);
        assertThat(posts).containsExactly("completed");
        assertThat(unload.get()).isEqualTo(NtStatus.SUCCESS);
    }
}
