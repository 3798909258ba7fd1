package dev.altitude.core;

/**
 * A filter driver: the {@code DriverEntry} of a minifilter. {@link FilterManager#loadFilter(String)} finds
 * it by name (registered with {@link FilterManager#registerDriver}, or through {@link java.util.ServiceLoader}
 * under {@link #name()}), creates a fresh instance and calls {@link #driverEntry}, which registers the
 * filter and starts filtering. If it returns a failure status, it must undo what it did; its unload
 * callback is never called.
 */
public interface FilterDriver {

    NtStatus driverEntry(FilterManager manager, DriverConfig config);

    /** The service name it is loaded under; by default the simple class name in lower case. */
    default String name() {
        return getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
    }
}
