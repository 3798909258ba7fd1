package dev.altitude.core.frame;

import java.util.Arrays;

/**
 * A thread's callbacks: its stack of {@link OperationSlot}s (one level per instance an operation it is inside
 * visits; an operation issued from a callback uses the levels above), and the filter-wide callbacks it is
 * inside. One thread-local read per operation. It lets the manager refuse, at once, a call that would wait
 * for the caller's own callback to return (a filter unloading itself from its own callback, or unregistering
 * from inside an operation), and lets a teardown find the operations in its instance's callbacks.
 */
public final class CallbackFrame extends FrameFields {
    private static final ThreadLocal<CallbackFrame> CURRENT = ThreadLocal.withInitial(CallbackFrame::new);

    /** 128 bytes after the fields (see {@link FrameFields}). */
    @SuppressWarnings("unused")
    private long q0, q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11, q12, q13, q14, q15;

    /** The calling thread's frame; made here only for the thread-local and for jcstress states. */
    public CallbackFrame() {
    }

    public static CallbackFrame current() {
        return CURRENT.get();
    }

    /**
     * Before entering a slot for an operation on a volume of the manager of {@code registry}: makes this
     * thread's slots visible to that manager's teardowns. One comparison when the thread stays with one manager.
     */
    public void join(FrameRegistry registry) {
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

    /** The thread enters a callback of {@code owner} that is not an operation's (filter-wide, teardown). */
    public int enter(CallbackOwner owner) {
        int d = depth;
        if (d == owners.length) {
            owners = Arrays.copyOf(owners, d * 2);
        }
        owners[d] = owner;
        depth = d + 1;
        return d;
    }

    public void exit(int previousDepth) {
        owners[previousDepth] = null;
        depth = previousDepth;
    }

    /** Where the operation starting now begins in the thread's stack. */
    public int top() {
        return top;
    }

    /** Enters {@code owner}'s pre-operation on the next level of the stack (see {@link OperationSlot#enter}). */
    public OperationSlot push(CallbackOwner owner, Object operation) {
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
        slot.enter(owner, operation);
        top = t + 1;
        return slot;
    }

    /** The top slot, which owes nothing (any more): free again. */
    public void pop(OperationSlot slot) {
        slot.free();
        top = slot.level;
    }

    public OperationSlot slot(int level) {
        return slots[level];
    }

    /** A teardown took the slot at {@code level} (or the operation ended abnormally with it owed): it is not reused. */
    public void replace(int level) {
        slots[level] = new OperationSlot(this, level);
    }

    /** The operation that began at {@code level} has ended. */
    public void cut(int level) {
        top = level;
    }

    /**
     * Is the thread inside a callback whose owner {@code matches}: a filter-wide or teardown callback, or a pre-
     * or post-operation it runs now (a teardown of that owner, or an unload of its filter, would wait for it)?
     */
    public boolean isInside(java.util.function.Predicate<CallbackOwner> matches) {
        for (int i = 0; i < depth; i++) {
            if (matches.test(owners[i])) {
                return true;
            }
        }
        for (int level = 0; level < top; level++) {
            CallbackOwner o = inCallback(level);
            if (o != null && matches.test(o)) {
                return true;
            }
        }
        return false;
    }

    /** The owner whose pre- or post-operation this thread runs at {@code level} of its stack, if it runs one. */
    private CallbackOwner inCallback(int level) {
        OperationSlot s = slots[level];
        int state = s.state();
        return state == OperationSlot.PRE || state == OperationSlot.RUNNING ? s.owner() : null;
    }
}
