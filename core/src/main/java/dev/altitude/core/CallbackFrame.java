package dev.altitude.core;

import java.util.Arrays;

/**
 * A thread's callbacks: its stack of {@link OperationSlot}s (one level per instance an operation it is inside
 * visits; an operation issued from a callback uses the levels above), and the filter-wide callbacks it is
 * inside. One thread-local read per operation. It lets the manager refuse, at once, a call that would wait
 * for the caller's own callback to return (a filter unloading itself from its own callback, or unregistering
 * from inside an operation), and lets a teardown find the operations in its instance's callbacks.
 */
final class CallbackFrame {
    private static final ThreadLocal<CallbackFrame> CURRENT = ThreadLocal.withInitial(CallbackFrame::new);

    final Thread thread = Thread.currentThread();
    /** Each entry a {@link Filter} (a filter-wide callback) or an {@link Instance} (a teardown's draining post-operation, a teardown callback). */
    private Object[] filters = new Object[8];
    private int depth;
    /** The thread's filter stack, reused by each operation; replaced (grown) only by this thread. */
    private volatile OperationSlot[] slots = new OperationSlot[0];
    /** Slots below it are in use by operations this thread is inside (an operation issued from a callback uses those above). */
    private int top;

    /** The registry this thread joined last (only this thread reads or writes it). */
    private FrameRegistry joined;

    /** The calling thread's frame; made here only for the thread-local and for jcstress states. */
    CallbackFrame() {
    }

    static CallbackFrame current() {
        return CURRENT.get();
    }

    /**
     * Before entering a slot for an operation on a volume of the manager of {@code registry}: makes this
     * thread's slots visible to that manager's teardowns. One comparison when the thread stays with one manager.
     */
    void join(FrameRegistry registry) {
        if (joined != registry) {
            registry.add(this);
            joined = registry;
        }
    }

    /** Visits every slot of this thread (a teardown, from its own thread). */
    void forEachSlot(java.util.function.Consumer<OperationSlot> visit) {
        for (OperationSlot s : slots) {
            if (s != null) {
                visit.accept(s);
            }
        }
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

    /** Where the operation starting now begins in the thread's stack. */
    int top() {
        return top;
    }

    /** Enters {@code instance}'s pre-operation on the next level of the stack (see {@link OperationSlot#enter}). */
    OperationSlot push(Instance instance, CallbackData data) {
        OperationSlot[] s = slots;
        int t = top;
        if (t == s.length) {
            s = Arrays.copyOf(s, Math.max(8, t * 2));
            slots = s; // published before the slot's state, which a teardown reads after this
        }
        OperationSlot slot = s[t];
        if (slot == null) {
            slot = new OperationSlot(this, t);
            s[t] = slot;
        }
        slot.enter(instance, data);
        top = t + 1;
        return slot;
    }

    /** The top slot, which owes nothing (any more): free again. */
    void pop(OperationSlot slot) {
        slot.free();
        top = slot.level;
    }

    OperationSlot slot(int level) {
        return slots[level];
    }

    /** A teardown took the slot at {@code level} (or the operation ended abnormally with it owed): it is not reused. */
    void replace(int level) {
        slots[level] = new OperationSlot(this, level);
    }

    /** The operation that began at {@code level} has ended. */
    void cut(int level) {
        top = level;
    }

    /** Is the thread inside any callback of {@code filter}, filter-wide or of one of its instances? */
    boolean contains(Filter filter) {
        for (int i = 0; i < depth; i++) {
            if (filters[i] == filter || (filters[i] instanceof Instance in && in.filter() == filter)) {
                return true;
            }
        }
        for (int level = 0; level < top; level++) {
            Instance in = inCallback(level);
            if (in != null && in.filter() == filter) {
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
        for (int level = 0; level < top; level++) {
            if (inCallback(level) == instance) {
                return true;
            }
        }
        return false;
    }

    /** The instance whose pre- or post-operation this thread runs at {@code level} of its stack, if it runs one. */
    private Instance inCallback(int level) {
        OperationSlot s = slots[level];
        int state = s.state();
        return state == OperationSlot.PRE || state == OperationSlot.RUNNING ? s.instance : null;
    }
}
