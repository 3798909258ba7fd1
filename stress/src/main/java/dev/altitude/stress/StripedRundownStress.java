package dev.altitude.stress;

import dev.altitude.core.rundown.Rundown;
import dev.altitude.core.rundown.StripedRundown;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZJ_Result;
import org.openjdk.jcstress.infra.results.ZZJ_Result;

/**
 * jcstress tests of {@link StripedRundown}: the guarantees of {@link Rundown} hold with the count spread over
 * stripes — no acquire succeeds once the rundown began, none is lost, and the waiter is woken.
 */
public final class StripedRundownStress {
    private StripedRundownStress() {
    }

    /** An acquire racing the start of a rundown is either counted or refused. */
    @JCStressTest
    @Outcome(id = "true, 1", expect = Expect.ACCEPTABLE, desc = "acquired before the rundown began, and counted")
    @Outcome(id = "false, 0", expect = Expect.ACCEPTABLE, desc = "refused: the rundown had begun")
    @Outcome(expect = Expect.FORBIDDEN, desc = "an acquire succeeded after the rundown began, or a phantom holder")
    @State
    public static class AcquireVersusBegin {
        final StripedRundown rundown = new StripedRundown();

        @Actor
        public void acquirer(ZJ_Result r) {
            r.r1 = rundown.acquire() >= 0;
        }

        @Actor
        public void runDown(ZJ_Result r) {
            rundown.beginRundown();
            r.r2 = rundown.holders();
        }
    }

    /** Two threads (two stripes, most of the time) acquiring while a rundown begins: every success is counted. */
    @JCStressTest
    @Outcome(id = {"true, true, 2", "true, false, 1", "false, true, 1", "false, false, 0"}, expect = Expect.ACCEPTABLE,
            desc = "each acquire counted or refused")
    @Outcome(expect = Expect.FORBIDDEN, desc = "an acquire was lost or slipped in after the rundown began")
    @State
    public static class TwoAcquirersVersusBegin {
        final StripedRundown rundown = new StripedRundown();

        @Actor
        public void first(ZZJ_Result r) {
            r.r1 = rundown.acquire() >= 0;
        }

        @Actor
        public void second(ZZJ_Result r) {
            r.r2 = rundown.acquire() >= 0;
        }

        @Actor
        public void runDown(ZZJ_Result r) {
            rundown.beginRundown();
        }

        @org.openjdk.jcstress.annotations.Arbiter
        public void count(ZZJ_Result r) {
            r.r3 = rundown.holders();
            if (rundown.acquire() >= 0) {
                throw new AssertionError("acquire succeeded after the rundown began");
            }
        }
    }

    /** The waiter for the last holder is woken by its release, whatever stripe it held. */
    @JCStressTest(org.openjdk.jcstress.annotations.Mode.Termination)
    @Outcome(id = "TERMINATED", expect = Expect.ACCEPTABLE, desc = "the wait returned after the release")
    @Outcome(id = "STALE", expect = Expect.FORBIDDEN, desc = "the waiter missed the release")
    @State
    public static class WaitWokenByRelease {
        final StripedRundown rundown = new StripedRundown();
        final int held;

        public WaitWokenByRelease() {
            held = rundown.acquire();
            if (held < 0) {
                throw new IllegalStateException();
            }
        }

        @Actor
        public void waiter() {
            rundown.awaitRelease();
        }

        @Signal
        public void release() {
            rundown.release(held);
        }
    }
}
