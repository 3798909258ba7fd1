package dev.altitude.test.filters;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.NtStatus;

/** Puts itself into the system properties (a registry of the JDK's) and never takes itself out. */
public final class LoaderLeaker implements FilterDriver {
    public static final String KEY = "loaderleaker.instance";
    private Filter filter;

    @Override
    public String name() {
        return "loaderleaker";
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        filter = manager.registerFilter(FilterRegistration.builder(name()).altitude("300200")
                .onUnload(flags -> {
                    filter.unregister();
                    return NtStatus.SUCCESS;
                }).build());
        System.getProperties().put(KEY + "." + System.identityHashCode(this), this);
        return filter.startFiltering();
    }
}
