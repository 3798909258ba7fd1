package dev.altitude.core.rundown;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * Rundown protection ({@code EX_RUNDOWN_REF}): {@link #acquire()} succeeds until a rundown has begun;
 * {@link #beginRundown()} refuses every later acquire; {@link #awaitRelease()} returns once every
 * protection taken before the rundown began has been released.
 *
 * <p>One word holds it all: bit 0 is "rundown begun", the rest counts the holders (in steps of 2). An
 * acquire is one compare-and-set; a release is one atomic add, plus a wake-up only when the last holder
 * leaves a rundown that is under way. No acquire can succeed after {@link #beginRundown()} returned: both
 * act on the same word, and the acquire's compare-and-set fails once bit 0 is set.
 */
public final class Rundown {
    private static final long ACTIVE = 1L;
    private static final long ONE = 2L;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Rundown.class, "state", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through STATE
    private volatile long state;
    /** Threads in {@link #awaitIdle}; a release that empties the count wakes them. */
    private volatile int idleWaiters;

    /** Takes protection; false once a rundown has begun. */
    public boolean acquire() {
        long s = state;
        while ((s & ACTIVE) == 0) {
            long witness = (long) STATE.compareAndExchange(this, s, s + ONE);
            if (witness == s) {
                return true;
            }
            s = witness;
        }
        return false;
    }

    /** Releases protection taken by a successful {@link #acquire()}. */
    public void release() {
        long s = (long) STATE.getAndAdd(this, -ONE) - ONE;
        if (s < 0) {
            STATE.getAndAdd(this, ONE);
            throw new IllegalStateException("rundown protection released more often than it was acquired");
        }
        if (s == ACTIVE || (s == 0 && idleWaiters > 0)) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** Takes protection even after a rundown began (for holders that must never be refused). */
    public void acquireAlways() {
        STATE.getAndAdd(this, ONE);
    }

    /**
     * Waits until there is no holder, without beginning a rundown (new holders may still come). True if
     * idle, false if {@code timeout} passed first.
     */
    public boolean awaitIdle(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        synchronized (this) {
            idleWaiters++;
            try {
                while ((state >>> 1) != 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
                return true;
            } finally {
                idleWaiters--;
            }
        }
    }

    /** Refuses every later acquire. True if this call began the rundown, false if it had begun already. */
    public boolean beginRundown() {
        return ((long) STATE.getAndBitwiseOr(this, ACTIVE) & ACTIVE) == 0;
    }

    public boolean isRunDown() {
        return (state & ACTIVE) != 0;
    }

    /** How many holders there are now. */
    public long holders() {
        return state >>> 1;
    }

    /** Begins the rundown if needed and waits until every holder has released. */
    public void awaitRelease() {
        beginRundown();
        Waits.until(this, () -> state == ACTIVE);
    }

    /** As {@link #awaitRelease()}, for at most {@code timeout}; true if every holder released. */
    public boolean awaitRelease(long timeout, TimeUnit unit) throws InterruptedException {
        beginRundown();
        return Waits.until(this, () -> state == ACTIVE, timeout, unit);
    }
}
