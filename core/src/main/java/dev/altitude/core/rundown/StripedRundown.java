package dev.altitude.core.rundown;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * Rundown protection spread over cache lines, as Windows' cache-aware rundown: each thread takes and gives
 * back its protection on a stripe of its own (chosen from its id), so threads doing I/O through the same
 * instance do not fight over one counter. {@link #acquire()} returns the stripe it used, which
 * {@link #release(int)} must be given back.
 *
 * <p>Each stripe is a word as in {@link Rundown}: bit 0 "rundown begun", the rest the holders in steps of 2,
 * 128 bytes apart in one array. {@link #beginRundown()} sets bit 0 on every stripe before it returns, so no
 * acquire succeeds after it returned; an acquire racing it either failed or is counted on its stripe, and
 * {@link #awaitRelease} waits until every stripe holds no one.
 */
public final class StripedRundown {
    private static final long ACTIVE = 1L;
    private static final long ONE = 2L;
    private static final int SPACING = 16; // longs: 128 bytes between stripes
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    /** A power of two, at least 8 and at least four per processor. */
    public static final int STRIPES = Math.max(8, Integer.highestOneBit(Runtime.getRuntime().availableProcessors() * 4 - 1) * 2);

    private final long[] words = new long[(STRIPES + 1) * SPACING];

    /** The calling thread's stripe, from a hash of its id (so that neighbouring ids land apart). */
    private static int ofCurrentThread() {
        return (int) ((Thread.currentThread().threadId() * 0x9E3779B97F4A7C15L) >>> 32) & (STRIPES - 1);
    }

    private static int index(int stripe) {
        return (stripe + 1) * SPACING; // none in the array's first line, next to its header
    }

    /** Takes protection on this thread's stripe: the stripe, or -1 once a rundown has begun. */
    public int acquire() {
        int stripe = ofCurrentThread();
        int i = index(stripe);
        long s = (long) SLOT.getVolatile(words, i);
        while ((s & ACTIVE) == 0) {
            long witness = (long) SLOT.compareAndExchange(words, i, s, s + ONE);
            if (witness == s) {
                return stripe;
            }
            s = witness;
        }
        return -1;
    }

    /** Releases protection taken on {@code stripe}. */
    public void release(int stripe) {
        long s = (long) SLOT.getAndAdd(words, index(stripe), -ONE) - ONE;
        if (s < 0) {
            SLOT.getAndAdd(words, index(stripe), ONE);
            throw new IllegalStateException("rundown protection released more often than it was acquired");
        }
        if (s == ACTIVE) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** Takes protection on {@code stripe} even after a rundown began (a holder that must never be refused). */
    public void acquireAlways(int stripe) {
        SLOT.getAndAdd(words, index(stripe), ONE);
    }

    /** Refuses every later acquire. True if this call began the rundown. */
    public boolean beginRundown() {
        boolean first = false;
        for (int k = 0; k < STRIPES; k++) {
            first |= ((long) SLOT.getAndBitwiseOr(words, index(k), ACTIVE) & ACTIVE) == 0;
        }
        return first;
    }

    public boolean isRunDown() {
        return ((long) SLOT.getVolatile(words, index(0)) & ACTIVE) != 0;
    }

    /** How many holders there are now (a sum over the stripes, exact when nothing moves). */
    public long holders() {
        long n = 0;
        for (int k = 0; k < STRIPES; k++) {
            n += (long) SLOT.getVolatile(words, index(k)) >>> 1;
        }
        return n;
    }

    private boolean drained() {
        for (int k = 0; k < STRIPES; k++) {
            if ((long) SLOT.getVolatile(words, index(k)) != ACTIVE) {
                return false;
            }
        }
        return true;
    }

    /** Begins the rundown if needed and waits until every holder has released. */
    public void awaitRelease() {
        beginRundown();
        Waits.until(this, () -> drained());
    }

    /** As {@link #awaitRelease()}, for at most {@code timeout}; true if every holder released. */
    public boolean awaitRelease(long timeout, TimeUnit unit) throws InterruptedException {
        beginRundown();
        return Waits.until(this, () -> drained(), timeout, unit);
    }
}
