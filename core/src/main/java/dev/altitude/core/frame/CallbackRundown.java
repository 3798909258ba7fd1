package dev.altitude.core.frame;

import dev.altitude.core.rundown.Waits;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An instance's I/O callbacks, for its teardown: which threads are in its pre-operations, and which
 * post-operations it is owed or running. Nothing here is written on the I/O path: each thread marks its
 * own {@link OperationSlot} (one volatile store to enter a pre-operation, one CAS to claim a
 * post-operation), and a teardown {@link #close}s the instance and then looks at every thread's slots.
 *
 * <p>The pair that makes it safe is the thread's volatile store of PRE followed by its read of
 * {@link #closing}, against the teardown's volatile store of {@code closing} followed by its reads of the
 * slots: either the thread sees the instance closing (and skips it), or the teardown sees the thread in
 * its pre-operation (and waits for it). A thread leaving a pre- or post-operation wakes a waiting
 * teardown when it sees {@code closing}; it leaves with a release store only, so a teardown that looked
 * just before that store became visible looks again a millisecond later ({@link #RECHECK_MILLIS}) rather
 * than every thread paying a fence on its way out.
 */
public final class CallbackRundown {
    public static final long RECHECK_MILLIS = 1;
    private static final int IN_PRE = 1 << OperationSlot.PRE;
    private static final int OWED = 1 << OperationSlot.OWED;
    private static final int RUNNING_POST = 1 << OperationSlot.RUNNING;
    private static final int DRAINING = 1 << OperationSlot.DRAINING;

    private final CallbackOwner instance;
    private final FrameRegistry frames;
    /** Set once, when the teardown begins: no pre-operation of the instance starts after it. */
    public volatile boolean closing;

    /** The rundown of {@code instance}'s callbacks, on the threads of {@code frames} (its manager's). */
    public CallbackRundown(CallbackOwner instance, FrameRegistry frames) {
        this.instance = instance;
        this.frames = frames;
    }

    /** The teardown begins: from now on no thread enters the instance's pre-operations. */
    public void close() {
        closing = true;
    }

    /** A thread left a pre- or post-operation of the instance: wakes a teardown waiting for it. */
    public void left() {
        if (closing) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** Every slot of the instance now in one of {@code states}, each as seen at one moment. */
    private List<OperationSlot.Seen> slots(int states) {
        List<OperationSlot.Seen> all = new ArrayList<>();
        frames.forEachSlot(s -> {
            OperationSlot.Seen seen = s.seen(states);
            if (seen != null && seen.owner() == instance) {
                all.add(seen);
            }
        });
        return all;
    }

    /**
     * Waits, at most {@code millis}, until no slot of the instance is in {@code states}; true if none is. A
     * thread leaving a callback wakes it; it looks again every {@link #RECHECK_MILLIS} in case that thread
     * missed the flag.
     */
    private boolean awaitNone(int states, long millis) throws InterruptedException {
        return Waits.until(this, () -> slots(states).isEmpty(), millis, TimeUnit.MILLISECONDS,
                TimeUnit.MILLISECONDS.toNanos(RECHECK_MILLIS));
    }

    /** After {@link #close}: waits until no thread is in one of the instance's pre-operations. */
    public boolean awaitNoPreOperation(long millis) throws InterruptedException {
        return awaitNone(IN_PRE, millis);
    }

    /**
     * Claims every post-operation still owed and hands it to {@code drainOne} (which calls it with the
     * draining flag), except those of operations whose parameters were replaced: those must complete. Call
     * once no pre-operation of the instance runs or is pended.
     */
    public void drainOwed(java.util.function.Consumer<OperationSlot> drainOne) {
        for (OperationSlot.Seen seen : slots(OWED)) {
            OperationSlot slot = seen.slot();
            // a slot reused since it was seen is in a later generation: the claim fails
            if (!seen.mustComplete() && slot.claim(seen.generation())) {
                try {
                    drainOne.accept(slot);
                } finally {
                    slot.drained();
                }
            }
        }
    }

    /** Waits for the post-operations that run (or must complete) on their own threads; true when none is left. */
    public boolean awaitNoPostOperation(long millis) throws InterruptedException {
        return awaitNone(OWED | RUNNING_POST | DRAINING, millis);
    }

    /** The instance's slots now in pre-operations (running) or owing or running post-operations, for the report. */
    public List<OperationSlot.Seen> snapshot() {
        return slots(IN_PRE | OWED | RUNNING_POST);
    }
}
