package dev.altitude.core;

import java.util.concurrent.atomic.AtomicInteger;

/** Found through ServiceLoader under its default name, "serviceloadeddriver". */
public final class ServiceLoadedDriver implements FilterDriver {
    static final AtomicInteger ENTRIES = new AtomicInteger();
    private Filter filter;

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        ENTRIES.incrementAndGet();
        filter = manager.registerFilter(FilterRegistration.builder(name())
                .altitude(config.parameter("altitude").orElse("370000"))
                .onUnload(flags -> {
                    filter.unregister();
                    return NtStatus.SUCCESS;
                })
                .build());
        return filter.startFiltering();
    }
}
