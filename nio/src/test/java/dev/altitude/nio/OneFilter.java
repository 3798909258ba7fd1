package dev.altitude.nio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.Filter;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.NtStatus;
import java.util.function.UnaryOperator;

/** A test filter of a few callbacks: registered as a driver of {@code manager} and loaded; its unload unregisters it. */
final class OneFilter {
    private OneFilter() {
    }

    /** Loads filter {@code name} at {@code altitude} with the callbacks {@code callbacks} adds to its registration. */
    static void load(FilterManager manager, String name, String altitude, UnaryOperator<FilterRegistration.Builder> callbacks) {
        manager.registerDriver(name, () -> (mgr, config) -> {
            Filter[] f = new Filter[1];
            f[0] = mgr.registerFilter(callbacks.apply(FilterRegistration.builder(name).altitude(altitude)
                    .onUnload(flags -> {
                        f[0].unregister();
                        return NtStatus.SUCCESS;
                    })).build());
            return f[0].startFiltering();
        });
        assertThat(manager.loadFilter(name)).isEqualTo(NtStatus.SUCCESS);
    }
}
