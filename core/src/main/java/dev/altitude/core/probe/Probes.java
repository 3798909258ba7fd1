package dev.altitude.core.probe;

import dev.altitude.core.FilterManager;
import java.util.function.BiConsumer;

/**
 * Attaches a {@link Probe} to a filter manager being built. The package is exported to the test kit
 * ({@code dev.altitude.test}) only: observing a manager is for tests, not for filters.
 */
public final class Probes {
    private static volatile BiConsumer<FilterManager.Builder, Probe> setter;

    private Probes() {
    }

    /** The manager built from {@code builder} tells {@code probe} what its filters do. */
    public static FilterManager.Builder attach(FilterManager.Builder builder, Probe probe) {
        setter.accept(builder, probe); // a builder exists, so FilterManager is initialized and has installed it
        return builder;
    }

    /** Called once, by {@link FilterManager}'s class initialization. */
    public static void install(BiConsumer<FilterManager.Builder, Probe> s) {
        if (setter != null) {
            throw new IllegalStateException("installed already");
        }
        setter = s;
    }
}
