package dev.altitude.core;

import static org.assertj.core.api.Assertions.fail;

import dev.altitude.core.rundown.Waits;
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

    /**
     * Waits for a state of the code under test that it reaches without signalling. It parks between looks
     * (10 µs, doubling to 1 ms): a spinning test thread would take a core from the code it waits for.
     */
    static void until(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        long pause = 10_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not reached within " + LIMIT + ": " + what);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(pause);
            pause = Math.min(2 * pause, 1_000_000);
        }
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
