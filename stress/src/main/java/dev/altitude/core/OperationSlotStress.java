package dev.altitude.core;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZ_Result;

/** The owed post-operation's claim: one winner, and a drainer's stale claim never takes a reused slot. */
public final class OperationSlotStress {
    private OperationSlotStress() {
    }

    /** The normal post-operation and a drain race for one owed slot: exactly one of them wins. */
    @JCStressTest
    @Outcome(id = {"true, false", "false, true"}, expect = Expect.ACCEPTABLE, desc = "exactly one caller owns the post-operation")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the post-operation would run twice or never")
    @State
    public static class CompletionVersusDrain {
        final OperationSlot slot = new OperationSlot(null, null, null, null);
        final long generation = slot.generation(); // as a drainer's snapshot records it

        @Actor
        public void completion(ZZ_Result r) {
            r.r1 = slot.claim(OperationSlot.RUNNING);
        }

        @Actor
        public void drain(ZZ_Result r) {
            r.r2 = slot.claim(generation, OperationSlot.DRAINING);
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
        final OperationSlot slot = new OperationSlot(null, null, null, null);
        final long generation = slot.generation();

        @Actor
        public void thread(ZZ_Result r) {
            r.r1 = slot.claim(OperationSlot.RUNNING);
            if (r.r1) {
                slot.done();
                slot.reuse(null, null, null, null); // owed again, next generation
            }
        }

        @Actor
        public void drain(ZZ_Result r) {
            r.r2 = slot.claim(generation, OperationSlot.DRAINING);
        }
    }
}
