package dev.altitude.core;

import java.util.List;

/**
 * A piece of a filter's global state that its callbacks use (the scanner sample's extension list). Made
 * with {@link Filter#global}; callbacks read it with {@link #get()}; the unload callback frees it with
 * {@link #free()} — after {@link Filter#unregister()} returned, when no callback can run any more.
 *
 * <p>In verifier mode both mistakes are reported with their call sites: freeing it while the filter is
 * still registered (callbacks may be using it: the scanner sample's bug), and using it after it was freed.
 * {@link #get()} after a free returns the value it had, so the filter's behaviour is unchanged; the report
 * is how the bug shows.
 */
public final class FilterGlobal<T> {
    private final Filter filter;
    private final String name;
    private final T value;
    private volatile List<StackTraceElement> freedAt;

    FilterGlobal(Filter filter, String name, T value) {
        this.filter = filter;
        this.name = name;
        this.value = value;
    }

    public T get() {
        List<StackTraceElement> freed = freedAt;
        if (freed != null && filter.verifier()) {
            filter.misuse(Diagnostic.Kind.USE_AFTER_FREE, "global '" + name + "' used after it was freed at " + (freed.isEmpty() ? "?" : freed.getFirst())
                    + "; used at " + Holder.where());
        }
        return value;
    }

    /** Marks the state freed. Call it after unregister returned. */
    public void free() {
        List<StackTraceElement> site = Holder.callSite();
        freedAt = site;
        if (filter.state() != Filter.State.UNREGISTERED && filter.verifier()) {
            filter.misuse(Diagnostic.Kind.EARLY_FREE, "global '" + name + "' freed before unregister returned, while callbacks may still use it, at "
                    + firstOf(site));
        }
    }

    public boolean isFreed() {
        return freedAt != null;
    }

    private static String firstOf(List<StackTraceElement> site) {
        return site.isEmpty() ? "?" : site.getFirst().toString();
    }
}
