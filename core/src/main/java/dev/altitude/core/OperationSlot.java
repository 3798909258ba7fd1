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

    private static final VarHandle WORD;

    static {
        try {
            WORD = MethodHandles.lookup().findVarHandle(OperationSlot.class, "word", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    Instance instance;
    Callbacks.PostOperation post;
    CallbackData data;
    Object completionContext;
    Thread thread;
    long since;
    /** A filter replaced the operation's parameters: it must complete, not be drained (swapBuffers). */
    boolean mustComplete;

    /**
     * The state in the low two bits, the slot's generation above them. A slot is reused by the thread that
     * ran its post-operation, for a later operation, with the next generation: a drainer that saw it owed by
     * an earlier operation claims with that generation, and so fails instead of claiming the new one.
     */
    @SuppressWarnings("unused") // accessed through WORD
    private volatile long word;

    /** The post-operation the same operation owes a higher instance (called after this one); operation's thread only. */
    OperationSlot owedBefore;

    // the tracker's intrusive list, guarded by the stripe's lock
    OperationSlot prev;
    OperationSlot next;
    PostOpTracker.Stripe stripe;

    OperationSlot(Instance instance, Callbacks.PostOperation post, CallbackData data, Object completionContext) {
        fill(instance, post, data, completionContext);
    }

    private void fill(Instance instance, Callbacks.PostOperation post, CallbackData data, Object completionContext) {
        this.instance = instance;
        this.post = post;
        this.data = data;
        this.completionContext = completionContext;
        this.thread = Thread.currentThread();
        this.since = data == null ? System.nanoTime() : data.owedSince();
        this.mustComplete = data != null && data.isDirty();
    }

    /**
     * Makes a slot whose post-operation ran (on this thread, which claimed it) owed again, for another
     * operation, in the next generation. Published to drainers by the tracker's lock when it is added.
     */
    OperationSlot reuse(Instance instance, Callbacks.PostOperation post, CallbackData data, Object completionContext) {
        fill(instance, post, data, completionContext);
        owedBefore = null;
        WORD.setRelease(this, ((word >>> 2) + 1) << 2 | OWED);
        return this;
    }

    /** Forgets what the finished operation referenced, so that a pooled slot keeps nothing alive. */
    void clear() {
        instance = null;
        post = null;
        data = null;
        completionContext = null;
        thread = null;
        owedBefore = null;
    }

    long generation() {
        return word >>> 2;
    }

    /** The operation's own thread: moves OWED to {@code to}; false if a drainer claimed the slot first. */
    boolean claim(int to) {
        long w = word;
        return (w & 3) == OWED && WORD.compareAndSet(this, w, (w & ~3L) | to);
    }

    /** A drainer: moves OWED to {@code to} if the slot is still in generation {@code generation}. */
    boolean claim(long generation, int to) {
        return WORD.compareAndSet(this, generation << 2 | OWED, generation << 2 | to);
    }

    void done() {
        WORD.setRelease(this, (word & ~3L) | DONE);
    }

    int state() {
        return (int) (word & 3);
    }
}
