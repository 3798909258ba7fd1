package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.altitude.core.context.ContextBlock;
import dev.altitude.core.frame.CallbackFrame;
import dev.altitude.core.frame.OperationSlot;
import dev.altitude.core.rundown.Rundown;
import dev.altitude.core.rundown.StripedRundown;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The protocols of core's concurrency primitives, step by step, beside their jcstress races (module
 * {@code stress}): what each call answers in each state, and that a waiter is woken by the event it waits for.
 */
@Timeout(60)
class PrimitivesProtocolTest {
    @Test
    void rundownRefusesNewHoldersOnceBegunAndItsWaitEndsWithTheLastRelease() throws Exception {
        Rundown r = new Rundown();
        assertThat(r.acquire()).isTrue();
        assertThat(r.acquire()).isTrue();
        assertThat(r.holders()).isEqualTo(2);
        assertThat(r.isRunDown()).isFalse();
        assertThat(r.beginRundown()).isTrue();
        assertThat(r.beginRundown()).as("once").isFalse();
        assertThat(r.acquire()).as("refused after the rundown began").isFalse();
        r.acquireAlways();                                // a holder that must never be refused
        assertThat(r.holders()).isEqualTo(3);
        AtomicReference<Boolean> done = new AtomicReference<>();
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                done.set(r.awaitRelease(30, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                done.set(false);
            }
        });
        r.release();
        r.release();
        assertThat(done.get()).as("still one holder").isNull();
        r.release();                                      // the last one wakes the waiter
        Await.joined(waiter);
        assertThat(done.get()).isTrue();
        assertThatThrownBy(r::release).isInstanceOf(IllegalStateException.class);
        assertThat(r.holders()).as("an over-release is undone").isZero();
    }

    @Test
    void rundownsIdleWaitDoesNotBeginARundown() throws Exception {
        Rundown r = new Rundown();
        assertThat(r.acquire()).isTrue();
        assertThat(r.awaitIdle(0, TimeUnit.MILLISECONDS)).isFalse();
        r.release();
        assertThat(r.awaitIdle(0, TimeUnit.MILLISECONDS)).isTrue();
        assertThat(r.isRunDown()).isFalse();
        assertThat(r.acquire()).as("new holders still come").isTrue();
    }

    @Test
    void stripedRundownCountsEveryStripeAndRefusesAfterItBegins() throws Exception {
        StripedRundown r = new StripedRundown();
        int a = r.acquire();
        int b = r.acquire();
        assertThat(a).isNotNegative();
        assertThat(b).isNotNegative();
        assertThat(r.holders()).isEqualTo(2);
        assertThat(r.beginRundown()).isTrue();
        assertThat(r.beginRundown()).as("once").isFalse();
        assertThat(r.acquire()).as("refused").isNegative();
        assertThat(r.awaitRelease(0, TimeUnit.MILLISECONDS)).isFalse();
        r.release(a);
        assertThat(r.awaitRelease(0, TimeUnit.MILLISECONDS)).isFalse();
        r.release(b);
        assertThat(r.awaitRelease(0, TimeUnit.MILLISECONDS)).isTrue();
        assertThat(r.isRunDown()).isTrue();
    }

    @Test
    void anOperationSlotGoesFreePreOwedAndIsClaimedOnceByItsThreadOrADrainer() {
        OperationSlot s = new OperationSlot(null, 0);
        assertThat(s.state()).isEqualTo(OperationSlot.FREE);
        s.enter(null, null);
        assertThat(s.state()).isEqualTo(OperationSlot.PRE);
        s.owe(null, false);
        assertThat(s.state()).isEqualTo(OperationSlot.OWED);
        long first = s.generation();
        assertThat(s.claim()).as("its own thread runs the post-operation").isTrue();
        assertThat(s.claim(first)).as("a drainer then finds nothing to claim").isFalse();
        s.free();
        assertThat(s.state()).isEqualTo(OperationSlot.FREE);

        s.enter(null, null);
        s.owe(null, false);
        long second = s.generation();
        assertThat(second).as("each use is a generation of its own").isNotEqualTo(first);
        assertThat(s.claim(first)).as("a stale drainer's claim").isFalse();
        assertThat(s.claim(second)).as("a drainer of this generation").isTrue();
        assertThat(s.state()).isEqualTo(OperationSlot.DRAINING);
        assertThat(s.claim()).as("then the thread does not run it").isFalse();
        s.drained();
        assertThat(s.state()).isEqualTo(OperationSlot.DRAINED);
    }

    @Test
    void aContextBlockIsFreedOnceByItsLastReferenceAndAnUnlinkDropsTheLinksReference() {
        AtomicInteger frees = new AtomicInteger();
        Map<Object, ContextBlock> map = new ConcurrentHashMap<>();
        ContextBlock b = new ContextBlock(new ContextBlock.Owner() {
            @Override
            public void misuse(Diagnostic.Kind kind, String message) {
                throw new AssertionError(kind + ": " + message);
            }

            @Override
            public void freed(ContextBlock block) {
                frees.incrementAndGet();
            }
        }, ContextType.STREAM, "v");
        b.reference();                                   // the filter's own, beside the allocation's
        b.linked(map, "k", ConcurrentHashMap.newKeySet(), "test");
        map.put("k", b);                                 // the allocation's reference becomes the link's
        assertThat(b.tryReference()).isTrue();           // a get
        b.release();
        assertThat(b.unlink()).isTrue();
        assertThat(b.unlink()).as("once").isFalse();
        assertThat(map).isEmpty();
        assertThat(b.stillReferenced()).as("the filter's reference").isTrue();
        b.release();
        assertThat(frees).hasValue(1);
        assertThat(b.stillReferenced()).isFalse();
        assertThat(b.tryReference()).as("no reference to a freed context").isFalse();
    }

    @Test
    void aManagersTeardownsLookOnlyAtTheThreadsThatRanOperationsOnItsVolumes() throws Exception {
        try (FilterManager a = FilterManager.create(); FilterManager b = FilterManager.create()) {
            Volume va = a.mountVolume("a", new MemoryBackend());
            Volume vb = b.mountVolume("b", new MemoryBackend());
            TestFilter.load(a, "fa", "370000", x -> x.onPreOperation(MajorFunction.CREATE, (d, o) -> PreOpStatus.SUCCESS_NO_CALLBACK));
            TestFilter.load(b, "fb", "370000", x -> x.onPreOperation(MajorFunction.CREATE, (d, o) -> PreOpStatus.SUCCESS_NO_CALLBACK));
            AtomicReference<CallbackFrame> onlyB = new AtomicReference<>();
            Thread t = Thread.ofPlatform().start(() -> {
                TestFilter.create(vb, "/f");
                onlyB.set(CallbackFrame.current());
            });
            Await.joined(t);
            assertThat(b.frames.contains(onlyB.get())).isTrue();
            assertThat(a.frames.contains(onlyB.get())).as("never ran an operation on a's volumes").isFalse();
            TestFilter.create(va, "/f");
            TestFilter.create(vb, "/g");
            assertThat(a.frames.contains(CallbackFrame.current())).isTrue();
            assertThat(b.frames.contains(CallbackFrame.current())).as("a thread may work for both").isTrue();
        }
    }
}
