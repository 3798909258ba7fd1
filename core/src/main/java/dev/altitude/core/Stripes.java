package dev.altitude.core;

/**
 * How per-thread striped structures (the rundowns of volumes and instances, the owed post-operation
 * trackers) spread threads: a power-of-two number of stripes, at least 8 and at least four per processor,
 * and each thread's stripe from a hash of its id, so that neighbouring ids land apart.
 */
final class Stripes {
    static final int COUNT = Math.max(8, Integer.highestOneBit(Runtime.getRuntime().availableProcessors() * 4 - 1) * 2);

    private Stripes() {
    }

    /** The calling thread's stripe, 0 to {@link #COUNT} − 1. */
    static int ofCurrentThread() {
        return (int) ((Thread.currentThread().threadId() * 0x9E3779B97F4A7C15L) >>> 32) & (COUNT - 1);
    }
}
