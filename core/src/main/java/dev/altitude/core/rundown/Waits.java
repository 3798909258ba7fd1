package dev.altitude.core.rundown;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Waiting on an object's monitor until a condition holds (the rundowns' waits: woken by notifyAll). */
public final class Waits {
    private Waits() {
    }

    /** Waits on {@code lock} until {@code done}, uninterruptibly (the interrupt status is kept). */
    public static void until(Object lock, BooleanSupplier done) {
        boolean interrupted = false;
        synchronized (lock) {
            while (!done.getAsBoolean()) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** A wait that can be bounded: true when done. */
    @FunctionalInterface
    public interface TimedWait {
        public boolean await(long millis) throws InterruptedException;
    }

    /**
     * The wait of every teardown, unregister and dismount: without bound, as they must, calling {@code report}
     * each time {@code thresholdMillis} passes (what it waits for, by kind and age). Interrupts are remembered,
     * not obeyed.
     */
    public static void watched(TimedWait wait, long thresholdMillis, Runnable report) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    if (wait.await(thresholdMillis)) {
                        return;
                    }
                    report.run();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Waits on {@code lock} until {@code done} or {@code timeout}; true if done. */
    public static boolean until(Object lock, BooleanSupplier done, long timeout, TimeUnit unit) throws InterruptedException {
        return until(lock, done, timeout, unit, Long.MAX_VALUE);
    }

    /**
     * As {@link #until(Object, BooleanSupplier, long, TimeUnit)}, looking at {@code done} again at least every
     * {@code recheckNanos} even if nobody notifies (for conditions whose changes do not always notify).
     */
    public static boolean until(Object lock, BooleanSupplier done, long timeout, TimeUnit unit, long recheckNanos)
            throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        synchronized (lock) {
            while (!done.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, Math.min(left, recheckNanos));
            }
        }
        return true;
    }
}
