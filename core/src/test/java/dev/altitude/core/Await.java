package dev.altitude.core;

import static org.assertj.core.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Bounded waits for tests: nothing waits forever, and nothing sleeps in place of a signal. */
final class Await {
    static final Duration LIMIT = Duration.ofSeconds(30);

    private Await() {
    }

    static void latch(CountDownLatch latch) {
        try {
            if (!latch.await(LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
                fail("latch not released within " + LIMIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
        }
    }

    /** Waits for a state another thread reaches without signalling (a thread parked, a state flipped). */
    static void until(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not reached within " + LIMIT + ": " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    /** Waits until {@code t} is blocked (waiting on a lock or a condition). */
    static void blocked(Thread t) {
        until(t.getName() + " blocked", () -> {
            Thread.State s = t.getState();
            return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING || s == Thread.State.BLOCKED;
        });
    }

    static void joined(Thread t) {
        try {
            t.join(LIMIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            fail(t.getName() + " did not finish within " + LIMIT);
        }
    }
}
