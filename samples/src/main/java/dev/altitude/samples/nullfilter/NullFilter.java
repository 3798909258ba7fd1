package dev.altitude.samples.nullfilter;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.NtStatus;
import dev.altitude.core.UnloadFlag;
import java.util.Set;

/**
 * nullFilter: the smallest complete filter. No operations, no contexts; it does not attach by itself
 * (attach it by hand) and allows a manual detach.
 */
public final class NullFilter implements FilterDriver {
    public static final String NAME = "nullfilter";
    private Filter filter;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        filter = manager.registerFilter(FilterRegistration.builder(NAME)
                .altitude("370020")
                .suppressAutomaticAttachment()
                .onInstanceQueryTeardown(objects -> NtStatus.SUCCESS)
                .onUnload(this::unload)
                .build());
        return filter.startFiltering();
    }

    private NtStatus unload(Set<UnloadFlag> flags) {
        filter.unregister();
        return NtStatus.SUCCESS;
    }
}
