package dev.altitude.test.filters;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.NtStatus;

/** Registers no unload callback: it cannot be unloaded (Windows: FltUnloadFilter fails). */
public final class NoUnload implements FilterDriver {
    @Override
    public String name() {
        return "nounload";
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        return manager.registerFilter(FilterRegistration.builder(name()).altitude("300300").build()).startFiltering();
    }
}
