package dev.altitude.stress;

import dev.altitude.core.frame.CallbackFrame;
import dev.altitude.core.frame.CallbackRundown;
import dev.altitude.core.frame.FrameRegistry;
import dev.altitude.core.frame.OperationSlot;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZ_Result;

/**
 * The protocol of a thread's {@link OperationSlot} against an instance's teardown ({@link CallbackRundown}):
 * a pre-operation never starts unseen once the teardown began, an owed post-operation is claimed once, and a
 * drainer's stale claim never takes a reused slot.
 */
public final class OperationSlotStress {
    private OperationSlotStress() {
    }

    private static OperationSlot owed() {
        OperationSlot slot = new OperationSlot(null, 0);
        slot.enter(null, null);
        slot.owe(null, false);
        return slot;
    }

    /**
     * A thread entering a pre-operation (PRE, then a look at the closing flag) races the teardown closing the
     * instance (the flag, then a look at the slot): the thread skips the instance or the teardown sees it.
     */
    @JCStressTest
    @Outcome(id = {"true, true", "false, true", "false, false"}, expect = Expect.ACCEPTABLE,
            desc = "the thread skipped the instance, or the teardown saw it in the pre-operation")
    @Outcome(id = "true, false", expect = Expect.FORBIDDEN,
            desc = "the pre-operation would run while the teardown believes none does")
    @State
    public static class EnterVersusClose {
        final OperationSlot slot = new OperationSlot(null, 0);
        final CallbackRundown rundown = new CallbackRundown(null, new FrameRegistry());

        @Actor
        public void thread(ZZ_Result r) {
            slot.enter(null, null);
            r.r1 = !rundown.closing; // true: it calls the pre-operation
        }

        @Actor
        public void teardown(ZZ_Result r) {
            rundown.close();
            r.r2 = slot.state() == OperationSlot.PRE; // true: it waits for the thread
        }
    }

    /** The normal post-operation and a drain race for one owed slot: exactly one of them wins. */
    @JCStressTest
    @Outcome(id = {"true, false", "false, true"}, expect = Expect.ACCEPTABLE, desc = "exactly one caller owns the post-operation")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the post-operation would run twice or never")
    @State
    public static class CompletionVersusDrain {
        final OperationSlot slot = owed();
        final long generation = slot.generation(); // as a drainer's look records it

        @Actor
        public void completion(ZZ_Result r) {
            r.r1 = slot.claim();
        }

        @Actor
        public void drain(ZZ_Result r) {
            r.r2 = slot.claim(generation);
        }
    }

    /**
     * A drainer that saw the slot owed by one operation, racing its thread that ran the post-operation and
     * owes the slot again for the next operation: the drainer may take the first generation (then the thread
     * never ran it and does not reuse it), but never the second.
     */
    @JCStressTest
    @Outcome(id = "true, false", expect = Expect.ACCEPTABLE, desc = "the thread ran it and reused it; the stale claim failed")
    @Outcome(id = "false, true", expect = Expect.ACCEPTABLE, desc = "the drainer took the first generation first")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a stale claim took the reused slot, or both ran the first")
    @State
    public static class StaleDrainVersusReuse {
        final OperationSlot slot = owed();
        final long generation = slot.generation();

        @Actor
        public void thread(ZZ_Result r) {
            r.r1 = slot.claim();
            if (r.r1) {
                slot.free();
                slot.enter(null, null); // the next operation: owed again, next generation
                slot.owe(null, false);
            }
        }

        @Actor
        public void drain(ZZ_Result r) {
            r.r2 = slot.claim(generation);
        }
    }

    /**
     * A thread's first operation on a manager (it joins the manager's frame registry, then enters a slot, then
     * looks at the closing flag) against a teardown (it sets the flag, then scans the registry): a thread that
     * did not see the flag is always found in its pre-operation.
     */
    @JCStressTest
    @Outcome(id = {"true, true", "false, true", "false, false"}, expect = Expect.ACCEPTABLE,
            desc = "the thread skipped the instance, or the teardown found it in the pre-operation")
    @Outcome(id = "true, false", expect = Expect.FORBIDDEN,
            desc = "the pre-operation would run while the teardown's scan missed the thread")
    @State
    public static class JoinVersusTeardown {
        final FrameRegistry registry = new FrameRegistry();
        final CallbackFrame frame = new CallbackFrame();
        final CallbackRundown rundown = new CallbackRundown(null, registry);

        @Actor
        public void thread(ZZ_Result r) {
            frame.join(registry);
            frame.push(null, null);
            r.r1 = !rundown.closing;
        }

        @Actor
        public void teardown(ZZ_Result r) {
            rundown.close();
            boolean[] found = new boolean[1];
            registry.forEachSlot(s -> found[0] |= s.state() == OperationSlot.PRE);
            r.r2 = found[0];
        }
    }
}
