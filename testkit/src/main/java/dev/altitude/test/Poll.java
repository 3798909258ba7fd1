package dev.altitude.test;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The kit's one wait for a state nothing signals: looked at again and again, bounded only to catch a hang. It parks
 * between looks (10 µs, doubling to 1 ms), so a test waiting does not take a core from the code it waits for.
 */
public final class Poll {
    private Poll() {
    }

    /** Returns once {@code done} holds; throws what {@code onTimeout} makes if it still does not after {@code limit}. */
    public static void until(BooleanSupplier done, Duration limit, Supplier<AssertionError> onTimeout) {
        long deadline = System.nanoTime() + limit.toNanos();
        long pause = 10_000;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw onTimeout.get();
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(2 * pause, 1_000_000);
        }
    }

    /** {@link #until(BooleanSupplier, Duration, Supplier)}, failing with "not reached within …: {@code what}". */
    public static void until(String what, BooleanSupplier done, Duration limit) {
        until(done, limit, () -> new AssertionError("not reached within " + limit + ": " + what));
    }
}
