package dev.altitude.stress;

import dev.altitude.core.ContextType;
import dev.altitude.core.Diagnostic;
import dev.altitude.core.context.ContextBlock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/** jcstress tests of context reference counting: the cleanup runs exactly once, whoever drops the last reference. */
public final class ContextRefCountStress {
    private ContextRefCountStress() {
    }

    /** An owner that counts frees; misuse (an over-release, a free while linked) is a failure. */
    static ContextBlock.Owner counting(AtomicInteger frees) {
        return new ContextBlock.Owner() {
            @Override
            public void misuse(Diagnostic.Kind kind, String message) {
                throw new AssertionError(kind + ": " + message);
            }

            @Override
            public void freed(ContextBlock block) {
                frees.incrementAndGet();
            }
        };
    }

    /** A linked context: the owner releases its reference while a delete unlinks it. */
    @JCStressTest
    @Outcome(id = "1, 0", expect = Expect.ACCEPTABLE, desc = "freed once, no reference left")
    @Outcome(expect = Expect.FORBIDDEN, desc = "freed twice, never, or a count left over")
    @State
    public static class ReleaseVersusDelete {
        final AtomicInteger frees = new AtomicInteger();
        final Map<Object, ContextBlock> map = new ConcurrentHashMap<>();
        final ContextBlock block = new ContextBlock(counting(frees), ContextType.STREAM, "v");

        public ReleaseVersusDelete() {
            block.reference();
            block.linked(map, "k", ConcurrentHashMap.newKeySet(), "test");
            map.put("k", block);
        }

        @Actor
        public void owner() {
            block.release();
        }

        @Actor
        public void deleter() {
            block.unlink();
        }

        @Arbiter
        public void check(II_Result r) {
            r.r1 = frees.get();
            r.r2 = block.references();
        }
    }

    /** Two deleters race for one link; a getter races them: one unlink wins and the cleanup runs once. */
    @JCStressTest
    @Outcome(id = {"1, 1, 0", "1, 0, 0"}, expect = Expect.ACCEPTABLE,
            desc = "freed once; the getter got a reference before the free or none after it")
    @Outcome(expect = Expect.FORBIDDEN, desc = "double free, lost free, or a reference to a freed context")
    @State
    public static class DeleteDeleteGet {
        final AtomicInteger frees = new AtomicInteger();
        final Map<Object, ContextBlock> map = new ConcurrentHashMap<>();
        final ContextBlock block = new ContextBlock(counting(frees), ContextType.STREAM, "v");
        volatile int gotAfterFree;
        volatile int got;

        public DeleteDeleteGet() {
            block.linked(map, "k", ConcurrentHashMap.newKeySet(), "test");
            map.put("k", block); // the allocation reference becomes the link's
        }

        @Actor
        public void deleter1() {
            block.unlink();
        }

        @Actor
        public void deleter2() {
            block.unlink();
        }

        @Actor
        public void getter() {
            ContextBlock b = map.get("k");
            if (b != null && b.tryReference()) {
                got = 1;
                if (b.isFreed()) {
                    gotAfterFree = 1;
                }
                b.release();
            }
        }

        @Arbiter
        public void check(III_Result r) {
            r.r1 = frees.get();
            r.r2 = got;
            r.r3 = gotAfterFree + block.references();
        }
    }

    /**
     * A teardown sweeps a linked context (unlink, then the verifier's look) while the application's close of
     * the file's last handle deletes it: nobody holds it afterwards, so the verifier must not call it leaked.
     */
    @JCStressTest
    @Outcome(id = "1, 0", expect = Expect.ACCEPTABLE, desc = "freed once, no leak reported")
    @Outcome(id = "1, 1", expect = Expect.FORBIDDEN, desc = "a false leak report: the closer's reference was in transit")
    @Outcome(expect = Expect.FORBIDDEN, desc = "freed twice or never")
    @State
    public static class CloseVersusTeardownVerify {
        final AtomicInteger frees = new AtomicInteger();
        final Map<Object, ContextBlock> map = new ConcurrentHashMap<>();
        final ContextBlock block = new ContextBlock(counting(frees), ContextType.STREAM_HANDLE, "v");
        volatile int reported;

        public CloseVersusTeardownVerify() {
            block.linked(map, "k", ConcurrentHashMap.newKeySet(), "test");
            map.put("k", block); // the allocation reference becomes the link's
        }

        @Actor
        public void closer() {
            block.unlink();
        }

        @Actor
        public void teardown() {
            block.unlink();
            if (block.stillReferenced()) {
                reported = 1;
            }
        }

        @Arbiter
        public void check(II_Result r) {
            r.r1 = frees.get();
            r.r2 = reported;
        }
    }
}
