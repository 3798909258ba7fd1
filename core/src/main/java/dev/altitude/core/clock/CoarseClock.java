package dev.altitude.core.clock;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link System#nanoTime()} that is at most {@link #RESOLUTION_MILLIS} old, for stamping every owed
 * post-operation with the time it became owed (the unload report's ages) at the cost of one volatile
 * read: {@code System.nanoTime()} itself costs about 30 ns on the machines measured, more than a
 * pass-through filter's whole dispatch. A daemon thread refreshes it while at least one
 * {@link FilterManager} is open, and ends when the last one closes.
 */
public final class CoarseClock {
    public static final long RESOLUTION_MILLIS = 10;

    private static volatile long now = System.nanoTime();
    private static int users; // guarded by CoarseClock.class
    private static Thread ticker;

    private CoarseClock() {
    }

    /** The time, as {@code System.nanoTime()}, up to {@link #RESOLUTION_MILLIS} behind. */
    public static long now() {
        return now;
    }

    /** A manager opened: the clock runs until every user has {@link #release}d it. */
    public static synchronized void use() {
        now = System.nanoTime();
        if (users++ == 0) {
            ticker = Thread.ofPlatform().daemon().name("altitude-coarse-clock").start(CoarseClock::tick);
        }
    }

    public static synchronized void release() {
        if (--users == 0) {
            LockSupport.unpark(ticker);
            ticker = null;
        }
    }

    private static synchronized boolean running(Thread self) {
        return ticker == self;
    }

    private static void tick() {
        Thread self = Thread.currentThread();
        while (running(self)) {
            now = System.nanoTime();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(RESOLUTION_MILLIS));
        }
    }
}
