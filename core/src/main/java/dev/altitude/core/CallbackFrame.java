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

    /** Each entry a {@link Filter} (a filter-wide callback) or an {@link Instance} (one of that instance's). */
    private Object[] filters = new Object[8];
    private int depth;
    /** Slots whose post-operations ran on this thread, for its next operations (no allocation per filter). */
    private final OperationSlot[] pool = new OperationSlot[32];
    private int pooled;

    static CallbackFrame current() {
        return CURRENT.get();
    }

    int enter(Object filterOrInstance) {
        int d = depth;
        if (d == filters.length) {
            filters = Arrays.copyOf(filters, d * 2);
        }
        filters[d] = filterOrInstance;
        depth = d + 1;
        return d;
    }

    void exit(int previousDepth) {
        filters[previousDepth] = null;
        depth = previousDepth;
    }

    /** A slot owed for this operation: a pooled one reused, or a new one. */
    OperationSlot owe(Instance instance, Callbacks.PostOperation post, CallbackData data, Object completionContext) {
        if (pooled > 0) {
            OperationSlot s = pool[--pooled];
            pool[pooled] = null;
            return s.reuse(instance, post, data, completionContext);
        }
        return new OperationSlot(instance, post, data, completionContext);
    }

    /** A slot whose post-operation this thread claimed, ran and took out of its tracker. */
    void giveBack(OperationSlot slot) {
        slot.clear();
        if (pooled < pool.length) {
            pool[pooled++] = slot;
        }
    }

    /** Is the thread inside any callback of {@code filter}, filter-wide or of one of its instances? */
    boolean contains(Filter filter) {
        for (int i = 0; i < depth; i++) {
            if (filters[i] == filter || (filters[i] instanceof Instance in && in.filter() == filter)) {
                return true;
            }
        }
        return false;
    }

    /** Is the thread inside a callback of {@code instance} (which a teardown of it would wait for)? */
    boolean contains(Instance instance) {
        for (int i = 0; i < depth; i++) {
            if (filters[i] == instance) {
                return true;
            }
        }
        return false;
    }
}
