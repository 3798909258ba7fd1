package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.Filter;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.NtStatus;
import java.util.function.UnaryOperator;

/** A filter for a test: registered with the callbacks {@code shape} adds, the canonical unload, loaded at once. */
public final class TestFilters {
    private TestFilters() {
    }

    public static void load(FilterManager manager, String name, String altitude,
                            UnaryOperator<FilterRegistration.Builder> shape) {
        Filter[] f = new Filter[1];
        manager.registerDriver(name, () -> (mgr, config) -> {
            f[0] = mgr.registerFilter(shape.apply(FilterRegistration.builder(name).altitude(altitude))
                    .onUnload(flags -> {
                        f[0].unregister();
                        return NtStatus.SUCCESS;
                    }).build());
            return f[0].startFiltering();
        });
        assertThat(manager.loadFilter(name)).isEqualTo(NtStatus.SUCCESS);
    }
}
