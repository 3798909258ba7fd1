package dev.altitude.core;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One filter attached to one volume at one altitude ({@code PFLT_INSTANCE}).
 *
 * <p>Its life: attached (in the volume's stack, operations presented) → tearing down (out of the stack;
 * no new pre-operation; teardown-start, drain, teardown-complete) → torn down (its name and altitude on
 * the volume are free again). Whoever begins the teardown first (detach, unregister, dismount) carries it
 * out; the others wait for it.
 */
public final class Instance implements RelatedObjects {
    static final int ATTACHED = 0;
    static final int TEARING_DOWN = 1;
    static final int TORN_DOWN = 2;

    private final Filter filter;
    private final Volume volume;
    private final String name;
    private final Altitude altitude;
    final Callbacks.PreOperation[] pre;
    final Callbacks.PostOperation[] post;

    /** Held by every pre-operation while it runs; teardown waits for it before draining. */
    final Rundown callbacks = new Rundown();
    /** The post-operations owed to this instance, drained at teardown. */
    final PostOpTracker owed = new PostOpTracker();

    private final AtomicInteger state = new AtomicInteger(ATTACHED);
    private volatile TeardownReason teardownReason;
    private final CountDownLatch tornDown = new CountDownLatch(1);

    Instance(Filter filter, Volume volume, String name, Altitude altitude) {
        this.filter = filter;
        this.volume = volume;
        this.name = name;
        this.altitude = altitude;
        this.pre = filter.pre;
        this.post = filter.post;
    }

    @Override
    public Filter filter() {
        return filter;
    }

    @Override
    public Volume volume() {
        return volume;
    }

    @Override
    public Instance instance() {
        return this;
    }

    public String name() {
        return name;
    }

    public Altitude altitude() {
        return altitude;
    }

    /** True until a teardown begins. */
    public boolean isAttached() {
        return state.get() == ATTACHED;
    }

    boolean isTornDown() {
        return state.get() == TORN_DOWN;
    }

    boolean isTearingDown() {
        return state.get() == TEARING_DOWN;
    }

    // ---- the hot path -------------------------------------------------------------------------

    PreOpStatus callPre(Callbacks.PreOperation cb, CallbackData data, CallbackFrame frame) {
        int depth = frame.enter(filter);
        PreOpStatus s;
        try {
            s = cb.onPreOperation(data, this);
        } catch (RuntimeException | LinkageError | AssertionError e) {
            filter.callbackFailed(e, "pre-operation " + data.majorFunction() + " of instance '" + name + "' on "
                    + volume.name() + " threw; the operation completes with STATUS_UNHANDLED_EXCEPTION");
            data.complete(NtStatus.UNHANDLED_EXCEPTION, 0);
            return PreOpStatus.COMPLETE;
        } finally {
            frame.exit(depth);
        }
        if (s == null || s == PreOpStatus.PENDING) {
            filter.misuse("pre-operation " + data.majorFunction() + " of instance '" + name + "' returned " + s
                    + ", which this version does not accept; the operation completes with STATUS_FLT_INTERNAL_ERROR");
            data.complete(NtStatus.FLT_INTERNAL_ERROR, 0);
            return PreOpStatus.COMPLETE;
        }
        return s;
    }

    void callPost(OperationSlot slot, CallbackData data, CallbackFrame frame, boolean draining) {
        if (filter.state() == Filter.State.UNREGISTERED) {
            filter.misuse("BUG: post-operation presented after unregister returned; not called");
            return;
        }
        int depth = frame.enter(filter);
        try {
            PostOpStatus s = slot.post.onPostOperation(data, this, slot.completionContext, draining);
            if (s != PostOpStatus.FINISHED_PROCESSING && s != PostOpStatus.DISALLOW_FSFILTER_IO) {
                filter.misuse("post-operation " + data.majorFunction() + " of instance '" + name + "' returned " + s
                        + (draining ? " while draining" : "") + "; treated as FINISHED_PROCESSING");
            }
        } catch (RuntimeException | LinkageError | AssertionError e) {
            filter.callbackFailed(e, "post-operation " + data.majorFunction() + " of instance '" + name + "' on "
                    + volume.name() + " threw" + (draining ? " while draining" : "; the operation completes with STATUS_UNHANDLED_EXCEPTION"));
            if (!draining) {
                data.complete(NtStatus.UNHANDLED_EXCEPTION, 0);
            }
        } finally {
            frame.exit(depth);
        }
    }

    // ---- teardown, in the order it happens ------------------------------------------------------

    /**
     * Step 1: claims the teardown and stops presenting operations: out of the volume's stack, and no
     * pre-operation may start. False if a teardown had already begun (someone else carries it out).
     */
    boolean beginTeardown(TeardownReason reason) {
        if (!state.compareAndSet(ATTACHED, TEARING_DOWN)) {
            return false;
        }
        teardownReason = reason;
        callbacks.beginRundown();
        volume.removeFromStack(this);
        return true;
    }

    /** Step 2: {@code InstanceTeardownStart}. */
    void teardownStart() {
        filter.callTeardown(filter.registration().teardownStart(), this, teardownReason, "teardown-start");
    }

    /**
     * Step 3: waits for the pre-operations still running, then calls every owed post-operation with the
     * draining flag (each exactly once) and waits for the post-operations already running.
     */
    void drain() {
        callbacks.awaitRelease();
        CallbackFrame frame = CallbackFrame.current();
        owed.drain(slot -> callPost(slot, slot.data.copy(), frame, true));
    }

    /** Step 4: {@code InstanceTeardownComplete}. */
    void teardownComplete() {
        filter.callTeardown(filter.registration().teardownComplete(), this, teardownReason, "teardown-complete");
    }

    /** Step 5: gone; the name and altitude on the volume are free. */
    void finishTeardown() {
        state.set(TORN_DOWN);
        volume.forget(this);
        filter.forget(this);
        tornDown.countDown();
    }

    /** Waits for a teardown that someone else carries out. */
    void awaitTornDown() {
        boolean interrupted = false;
        while (true) {
            try {
                tornDown.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs a whole teardown of several instances, phase by phase, as unregister and dismount do. */
    static void tearDown(java.util.List<Instance> claimed) {
        for (Instance i : claimed) {
            i.teardownStart();
        }
        for (Instance i : claimed) {
            i.drain();
        }
        for (Instance i : claimed) {
            i.teardownComplete();
        }
        for (Instance i : claimed) {
            i.finishTeardown();
        }
    }

    @Override
    public String toString() {
        return "Instance[" + filter.name() + " '" + name + "' @" + altitude + " on " + volume.name() + "]";
    }
}
