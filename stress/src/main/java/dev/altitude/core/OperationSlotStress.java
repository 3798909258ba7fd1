package dev.altitude.core;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZ_Result;

/** The normal post-operation and a drain race for one owed slot: exactly one of them wins. */
@JCStressTest
@Outcome(id = {"true, false", "false, true"}, expect = Expect.ACCEPTABLE, desc = "exactly one caller owns the post-operation")
@Outcome(expect = Expect.FORBIDDEN, desc = "the post-operation would run twice or never")
@State
public class OperationSlotStress {
    final OperationSlot slot = new OperationSlot(null, null, null, null);

    @Actor
    public void completion(ZZ_Result r) {
        r.r1 = slot.claim(OperationSlot.RUNNING);
    }

    @Actor
    public void drain(ZZ_Result r) {
        r.r2 = slot.claim(OperationSlot.DRAINING);
    }
}
