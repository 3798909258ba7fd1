package dev.altitude.test;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** The kit's one wait for a state nothing signals: checked again and again, bounded only to catch a hang. */
final class Poll {
    private Poll() {
    }

    /** Returns once {@code done} holds; throws what {@code onTimeout} makes if it still does not after {@code limit}. */
    static void until(BooleanSupplier done, Duration limit, Supplier<AssertionError> onTimeout) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw onTimeout.get();
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}
