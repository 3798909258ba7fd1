package dev.altitude.core.frame;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The callback frames of the threads that ran operations on one manager's volumes: where that manager's
 * teardowns look for an instance's slots (a teardown in one manager never scans another's threads).
 *
 * <p>A thread joins ({@link CallbackFrame#join}) before its first slot of an operation is entered; the array is
 * copied on write and published through a volatile field. So a teardown that set its instance's closing flag and
 * then reads the array sees every thread that could have entered a slot without seeing the flag (jcstress
 * {@code OperationSlotStress.JoinVersusTeardown}). Frames of threads that ended are dropped.
 */
public final class FrameRegistry {
    private volatile CallbackFrame[] frames = new CallbackFrame[0];

    /** Adds {@code frame} if it is not there (dropping the frames of threads that ended). */
    synchronized void add(CallbackFrame frame) {
        CallbackFrame[] now = frames;
        for (CallbackFrame f : now) {
            if (f == frame) {
                return;
            }
        }
        List<CallbackFrame> next = new ArrayList<>(now.length + 1);
        for (CallbackFrame f : now) {
            if (f.thread.isAlive()) {
                next.add(f);
            }
        }
        next.add(frame);
        frames = next.toArray(CallbackFrame[]::new);
    }

    /** Visits every slot of every frame that joined; then drops the frames of threads that ended. */
    public void forEachSlot(Consumer<OperationSlot> visit) {
        boolean dead = false;
        for (CallbackFrame f : frames) {
            f.forEachSlot(visit);
            dead |= !f.thread.isAlive();
        }
        if (dead) {
            prune();
        }
    }

    private synchronized void prune() {
        frames = java.util.Arrays.stream(frames).filter(f -> f.thread.isAlive()).toArray(CallbackFrame[]::new);
    }

    /** Has the thread of {@code frame} joined (tests)? */
    public boolean contains(CallbackFrame frame) {
        for (CallbackFrame f : frames) {
            if (f == frame) {
                return true;
            }
        }
        return false;
    }
}
