package dev.altitude.stress;

import dev.altitude.core.rundown.Rundown;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZJ_Result;
import org.openjdk.jcstress.infra.results.ZZ_Result;

/** jcstress tests of {@link Rundown}: no acquire succeeds once a rundown began, and no wake-up is lost. */
public final class RundownStress {
    private RundownStress() {
    }

    /**
     * An acquire racing the start of a rundown: either it won (and the rundown counts it as a holder) or
     * it failed. An acquire that succeeded but is not counted would have slipped in after the rundown began.
     */
    @JCStressTest
    @Outcome(id = "true, 1", expect = Expect.ACCEPTABLE, desc = "acquired before the rundown began, and counted")
    @Outcome(id = "false, 0", expect = Expect.ACCEPTABLE, desc = "refused: the rundown had begun")
    @Outcome(expect = Expect.FORBIDDEN, desc = "an acquire succeeded after the rundown began, or a phantom holder")
    @State
    public static class AcquireVersusBegin {
        final Rundown rundown = new Rundown();

        @Actor
        public void acquirer(ZJ_Result r) {
            r.r1 = rundown.acquire();
        }

        @Actor
        public void runDown(ZJ_Result r) {
            rundown.beginRundown();
            r.r2 = rundown.holders();
        }
    }

    /** Two acquirers and a rundown: each acquire is counted or refused, never lost. */
    @JCStressTest
    @Outcome(id = {"true, true", "true, false", "false, true", "false, false"}, expect = Expect.ACCEPTABLE,
            desc = "any acquire may win or lose the race")
    @State
    public static class ReleaseAfterBegin {
        final Rundown rundown = new Rundown();

        @Actor
        public void first(ZZ_Result r) {
            r.r1 = rundown.acquire();
            if (r.r1) {
                rundown.release();
            }
        }

        @Actor
        public void second(ZZ_Result r) {
            r.r2 = rundown.acquire();
            if (r.r2) {
                rundown.release();
            }
            rundown.beginRundown();
            if (rundown.acquire()) {
                throw new AssertionError("acquire succeeded after this thread began the rundown");
            }
        }
    }

    /** The waiter for the last holder is woken by the release: no lost wake-up. */
    @JCStressTest(org.openjdk.jcstress.annotations.Mode.Termination)
    @Outcome(id = "TERMINATED", expect = Expect.ACCEPTABLE, desc = "the wait returned after the release")
    @Outcome(id = "STALE", expect = Expect.FORBIDDEN, desc = "the waiter missed the release")
    @State
    public static class WaitWokenByRelease {
        final Rundown rundown = new Rundown();

        public WaitWokenByRelease() {
            if (!rundown.acquire()) {
                throw new IllegalStateException();
            }
        }

        @Actor
        public void waiter() {
            rundown.awaitRelease();
        }

        @Signal
        public void release() {
            rundown.release();
        }
    }
}
