package dev.altitude.core;

import java.util.Arrays;

/**
 * The filters whose callbacks the current thread is inside, innermost last. One thread-local read per
 * operation; entering and leaving a callback are two plain writes. It lets the manager refuse, at once,
 * a call that would wait for the caller's own callback to return (a filter unloading itself from its own
 * callback, or unregistering from inside an operation).
 */
final class CallbackFrame {
    private static final ThreadLocal<CallbackFrame> CURRENT = ThreadLocal.withInitial(CallbackFrame::new);

    private Filter[] filters = new Filter[8];
    private int depth;

    static CallbackFrame current() {
        return CURRENT.get();
    }

    int enter(Filter filter) {
        int d = depth;
        if (d == filters.length) {
            filters = Arrays.copyOf(filters, d * 2);
        }
        filters[d] = filter;
        depth = d + 1;
        return d;
    }

    void exit(int previousDepth) {
        filters[previousDepth] = null;
        depth = previousDepth;
    }

    boolean contains(Filter filter) {
        for (int i = 0; i < depth; i++) {
            if (filters[i] == filter) {
                return true;
            }
        }
        return false;
    }
}
