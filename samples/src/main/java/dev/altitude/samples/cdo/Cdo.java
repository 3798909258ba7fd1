package dev.altitude.samples.cdo;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import dev.altitude.core.UnloadFlag;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * cdo: a filter with a control handle that applications open directly (the original's control device
 * object). It is the one sample whose unload callback refuses: an optional unload while a control handle is
 * open returns {@code STATUS_FLT_DO_NOT_DETACH} and the filter stays; a mandatory unload goes through and
 * invalidates the handle.
 */
public final class Cdo implements FilterDriver {
    public static final String NAME = "cdo";
    private static final Map<FilterManager, Cdo> LOADED = new ConcurrentHashMap<>();

    private final Object lock = new Object();
    private Filter filter;
    private FilterManager manager;
    private ControlHandle open;

    /** An open control handle; {@link #request} fails with {@code STATUS_INVALID_HANDLE} once invalidated. */
    public static final class ControlHandle implements AutoCloseable {
        private final Cdo owner;
        private volatile boolean valid = true;

        private ControlHandle(Cdo owner) {
            this.owner = owner;
        }

        /** A request to the filter through the handle: the filter's name and state. */
        public String request() {
            if (!valid) {
                throw new NtStatusException(NtStatus.INVALID_HANDLE, "the cdo control handle was invalidated by an unload");
            }
            return owner.filter.name() + " " + owner.filter.state();
        }

        public boolean isValid() {
            return valid;
        }

        @Override
        public void close() {
            synchronized (owner.lock) {
                if (owner.open == this) {
                    owner.open = null;
                }
                valid = false;
            }
        }
    }

    /** Opens the control handle of the cdo filter loaded in {@code manager} (one at a time, as the original). */
    public static ControlHandle open(FilterManager manager) {
        Cdo c = LOADED.get(manager);
        if (c == null) {
            throw new NtStatusException(NtStatus.OBJECT_NAME_NOT_FOUND, "cdo is not loaded");
        }
        synchronized (c.lock) {
            if (c.open != null) {
                throw new NtStatusException(NtStatus.SHARING_VIOLATION, "the cdo control handle is already open");
            }
            c.open = new ControlHandle(c);
            return c.open;
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        this.manager = manager;
        filter = manager.registerFilter(FilterRegistration.builder(NAME).altitude("370080")
                .onInstanceQueryTeardown(objects -> NtStatus.SUCCESS)
                .onUnload(this::unload)
                .build());
        LOADED.put(manager, this);
        return filter.startFiltering();
    }

    private NtStatus unload(Set<UnloadFlag> flags) {
        synchronized (lock) {
            if (open != null && !flags.contains(UnloadFlag.MANDATORY)) {
                return NtStatus.FLT_DO_NOT_DETACH; // an application still holds the control handle
            }
            filter.unregister();
            if (open != null) {
                open.valid = false;
                open = null;
            }
            LOADED.remove(manager, this);
            return NtStatus.SUCCESS;
        }
    }
}
