package dev.altitude.test.filters;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PortCallbacks;

/** Unregisters without closing its server port first. */
public final class PortKeeper implements FilterDriver {
    private Filter filter;

    @Override
    public String name() {
        return "portkeeper";
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        filter = manager.registerFilter(FilterRegistration.builder(name()).altitude("300400")
                .onUnload(flags -> {
                    filter.unregister(); // the bug: the port below is still open
                    return NtStatus.SUCCESS;
                }).build());
        filter.createCommunicationPort("PortKeeperPort", 1, PortCallbacks.of((c, ctx, peer) -> NtStatus.SUCCESS, c -> c.close()));
        return filter.startFiltering();
    }
}
