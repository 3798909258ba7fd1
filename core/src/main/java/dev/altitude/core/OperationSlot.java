package dev.altitude.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A post-operation that an instance is owed: made when its pre-operation returned
 * {@code SUCCESS_WITH_CALLBACK} and kept in the instance's {@link PostOpTracker} until the post-operation
 * has run. Whoever claims it first (the operation on its way up, or a teardown draining the instance)
 * calls the post-operation; the other does nothing. That is what makes every owed post-operation run
 * exactly once.
 */
final class OperationSlot {
    static final int OWED = 0;
    static final int RUNNING = 1;
    static final int DRAINING = 2;
    static final int DONE = 3;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(OperationSlot.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Instance instance;
    final Callbacks.PostOperation post;
    final CallbackData data;
    final Object completionContext;
    final Thread thread;
    final long since;
    /** A filter replaced the operation's parameters: it must complete, not be drained (swapBuffers). */
    final boolean mustComplete;

    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;

    /** The post-operation the same operation owes a higher instance (called after this one); operation's thread only. */
    OperationSlot owedBefore;

    // the tracker's intrusive list, guarded by the stripe's lock
    OperationSlot prev;
    OperationSlot next;
    PostOpTracker.Stripe stripe;

    OperationSlot(Instance instance, Callbacks.PostOperation post, CallbackData data, Object completionContext) {
        this.instance = instance;
        this.post = post;
        this.data = data;
        this.completionContext = completionContext;
        this.thread = Thread.currentThread();
        this.since = data == null ? System.nanoTime() : data.owedSince();
        this.mustComplete = data != null && data.isDirty();
    }

    /** Moves OWED to {@code to}; false if someone else claimed the slot first. */
    boolean claim(int to) {
        return STATE.compareAndSet(this, OWED, to);
    }

    void done() {
        STATE.setRelease(this, DONE);
    }

    int state() {
        return state;
    }
}
