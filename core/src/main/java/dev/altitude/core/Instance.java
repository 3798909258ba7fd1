package dev.altitude.core;

import dev.altitude.core.events.CallbackEvent;
import dev.altitude.core.events.SlowCallbackEvent;

import dev.altitude.core.context.ContextBlock;
import dev.altitude.core.frame.CallbackFrame;
import dev.altitude.core.frame.CallbackOwner;
import dev.altitude.core.frame.CallbackRundown;
import dev.altitude.core.frame.OperationSlot;
import dev.altitude.core.rundown.Waits;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One filter attached to one volume at one altitude ({@code PFLT_INSTANCE}).
 *
 * <p>Its life: attached (in the volume's stack, operations presented) → tearing down → torn down (its
 * name and altitude on the volume are free again). A teardown (spec §3.3) runs, in order:
 * <ol>
 * <li>{@link #beginTeardown}: out of the stack; no pre-operation, object reference or context set starts;</li>
 * <li>teardown-start;</li>
 * <li>{@link #drain}: waits for running pre-operations and pended operations; calls every owed
 * post-operation with the draining flag (except operations whose parameters a filter replaced: those
 * complete); waits for running post-operations and for I/O the filter issued on this instance;</li>
 * <li>teardown-complete;</li>
 * <li>waits for object references on the instance; deletes the contexts linked through it;</li>
 * <li>{@link #finishTeardown}.</li>
 * </ol>
 * Whoever begins the teardown first (detach, unregister, dismount) carries it out; the others wait.
 */
public final class Instance implements RelatedObjects, CallbackOwner {
    static final int ATTACHED = 0;
    static final int TEARING_DOWN = 1;
    static final int TORN_DOWN = 2;

    private final Filter filter;
    private final Volume volume;
    private final String name;
    private final Altitude altitude;
    final Callbacks.PreOperation[] pre;
    final Callbacks.PostOperation[] post;
    final byte[] skips;

    /** Its pre-operations running and post-operations owed, on every thread: teardown waits for them and drains them. */
    final CallbackRundown rundown;
    /** Operations pended by this instance (pre and post); teardown-complete waits for them. */
    final HolderSet pended = new HolderSet();
    /** I/O the filter issued through this instance; teardown-complete waits for it. */
    final HolderSet filterIo = new HolderSet();
    /** Object references and work items on the instance; the end of teardown waits for them. */
    final HolderSet references = new HolderSet();
    /** Contexts linked through this instance (instance, file, stream, stream handle). */
    final Set<ContextBlock> linkedContexts = ConcurrentHashMap.newKeySet();
    /** Its INSTANCE context (the rules: {@link Contexts}). */
    final Map<Object, ContextBlock> instanceContext = new ConcurrentHashMap<>();
    /** Set at teardown step 5: no context set on it succeeds after. */
    volatile boolean contextsClosed;

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
        this.skips = filter.skips;
        this.rundown = new CallbackRundown(this, volume.manager().frames);
        this.probe = volume.manager().probe;
    }

    /** The test kit's observer, or null. */
    final dev.altitude.core.probe.Probe probe;

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

    private volatile NtStatus attachStatus = NtStatus.SUCCESS;

    /**
     * How the attach went: {@link NtStatus#SUCCESS}, or {@link NtStatus#FLT_PRE_OPERATIONS_NOT_DELIVERED} when the
     * volume cannot present some pre-operation the filter registered ({@link #undeliveredPreOperations()}).
     */
    public NtStatus attachStatus() {
        return attachStatus;
    }

    /** The major functions whose pre-operation this instance's filter registered and its volume cannot present. */
    public java.util.Set<MajorFunction> undeliveredPreOperations() {
        VolumeCapabilities caps = volume.capabilities();
        java.util.Set<MajorFunction> out = java.util.EnumSet.noneOf(MajorFunction.class);
        for (MajorFunction m : MajorFunction.values()) {
            if (pre[m.ordinal()] != null && !caps.presents(m)) {
                out.add(m);
            }
        }
        return out;
    }

    /** After an attach: the filter is told of the pre-operations it registered that this volume cannot present. */
    void noteUndelivered() {
        java.util.Set<MajorFunction> missing = undeliveredPreOperations();
        if (!missing.isEmpty()) {
            attachStatus = NtStatus.FLT_PRE_OPERATIONS_NOT_DELIVERED;
            filter.manager().diagnostics.report(Diagnostic.Kind.PRE_OPERATIONS_NOT_DELIVERED, filter.name(), "instance '"
                    + name + "' attached to " + volume.name() + " (" + volume.fileSystemType() + "), which cannot present its "
                    + "pre-operations " + missing + ": they will not be called there");
        }
    }

    /** True until a teardown begins. */
    public boolean isAttached() {
        return state.get() == ATTACHED;
    }

    boolean isTornDown() {
        return state.get() == TORN_DOWN;
    }

    // ---- the hot path -------------------------------------------------------------------------

    /** Calls a pre-operation; the caller's slot, in state PRE, says the thread is inside it. */
    PreOpStatus callPre(Callbacks.PreOperation cb, CallbackData data) {
        CallbackEvent event = new CallbackEvent();
        SlowCallbackEvent slow = new SlowCallbackEvent();
        event.begin();
        slow.begin();
        PreOpStatus s = null;
        try {
            s = callPre0(cb, data);
            return s;
        } finally {
            ended(event, slow, data, "pre", s);
        }
    }

    /** The JFR events of one callback: committed when enabled and over their thresholds (no cost otherwise). */
    private void ended(CallbackEvent event, SlowCallbackEvent slow, CallbackData data, String callback, Object returned) {
        event.end();
        if (event.shouldCommit()) {
            describe(event, data, callback);
            event.status = returned == null ? data.status().name() : returned.toString();
            event.failure = data.status().isFailure();
            event.commit();
        }
        slow.end();
        if (slow.shouldCommit()) {
            describe(slow, data, callback);
            slow.commit();
        }
    }

    private void describe(dev.altitude.core.events.CallbackFields e, CallbackData data, String callback) {
        e.filter = filter.name();
        e.instance = name;
        e.volume = volume.name();
        e.major = data.majorFunction().name();
        e.callback = callback;
        e.path = data.fileObject() == null ? null : data.fileObject().path();
    }

    private PreOpStatus callPre0(Callbacks.PreOperation cb, CallbackData data) {
        PreOpStatus s;
        if (probe != null) {
            probe.preOperation(filter, "pre-operation " + data.majorFunction() + " of instance '" + name + "'");
        }
        data.armPend(false);
        try {
            s = cb.onPreOperation(data, this);
        } catch (RuntimeException | LinkageError | AssertionError e) {
            return preFailed(e, data);
        }
        return s != null ? s : preReturnedNull(data);
    }

    /** A pre-operation threw: the operation completes with STATUS_UNHANDLED_EXCEPTION (out of line, as {@link #postFailed}). */
    private PreOpStatus preFailed(Throwable e, CallbackData data) {
        filter.callbackFailed(e, "pre-operation " + data.majorFunction() + " of instance '" + name + "' on "
                + volume.name() + " threw; the operation completes with STATUS_UNHANDLED_EXCEPTION");
        data.complete(NtStatus.UNHANDLED_EXCEPTION, 0);
        return PreOpStatus.COMPLETE;
    }

    private PreOpStatus preReturnedNull(CallbackData data) {
        filter.misuse(Diagnostic.Kind.INVALID_STATUS, "pre-operation " + data.majorFunction() + " of instance '" + name
                + "' returned null; the operation completes with STATUS_FLT_INTERNAL_ERROR");
        data.complete(NtStatus.FLT_INTERNAL_ERROR, 0);
        return PreOpStatus.COMPLETE;
    }

    /** Accounts an operation this instance pended in its pre-operation (until it is resumed and re-entered). */
    Holder pendedPre(CallbackData data) {
        java.util.List<StackTraceElement> queued = data.queuedAt;
        Holder h = queued != null
                ? new Holder(HolderKind.PENDED_PRE_OPERATION, this, describe(data) + " pended in the pre-operation, "
                        + "queued in a CallbackDataQueue at " + (queued.isEmpty() ? "?" : queued.getFirst()), queued)
                : new Holder(HolderKind.PENDED_PRE_OPERATION, this, describe(data) + " pended in the pre-operation",
                        filter.verifier());
        data.queuedAt = null;
        pended.add(h);
        return h;
    }

    /**
     * Calls a post-operation: on the operation's thread (its slot, in state RUNNING, says the thread is inside
     * it), or draining on a teardown's thread (the frame records it).
     */
    void callPost(OperationSlot slot, CallbackData data, CallbackFrame frame, boolean draining) {
        CallbackEvent event = new CallbackEvent();
        SlowCallbackEvent slow = new SlowCallbackEvent();
        event.begin();
        slow.begin();
        try {
            callPost0(slot, data, frame, draining);
        } finally {
            ended(event, slow, data, draining ? "post (draining)" : "post", null);
        }
    }

    private void callPost0(OperationSlot slot, CallbackData data, CallbackFrame frame, boolean draining) {
        if (filter.state() == Filter.State.UNREGISTERED) {
            filter.misuse(Diagnostic.Kind.INTERNAL_ERROR, "BUG: post-operation presented after unregister returned; not called");
            return;
        }
        if (probe != null) {
            probe.postCalled(filter, new dev.altitude.core.probe.Probe.Operation(slot, slot.generation()), draining);
        }
        int depth = draining ? frame.enter(this) : -1;
        PostOpStatus s;
        data.armPend(true);
        try {
            s = post[data.majorFunction().ordinal()].onPostOperation(data, this, slot.completionContext(), draining);
        } catch (RuntimeException | LinkageError | AssertionError e) {
            postFailed(e, data, draining);
            return;
        } finally {
            if (draining) {
                frame.exit(depth);
            }
        }
        if (s != PostOpStatus.FINISHED_PROCESSING) {
            postReturned(s, data, draining);
        }
    }

    /** A post-operation threw (kept out of {@link #callPost0}, so that the common path stays small enough to inline). */
    private void postFailed(Throwable e, CallbackData data, boolean draining) {
        filter.callbackFailed(e, "post-operation " + data.majorFunction() + " of instance '" + name + "' on "
                + volume.name() + " threw" + (draining ? " while draining" : "; the operation completes with STATUS_UNHANDLED_EXCEPTION"));
        if (!draining) {
            data.complete(NtStatus.UNHANDLED_EXCEPTION, 0);
        }
    }

    /** A post-operation returned other than FINISHED_PROCESSING: it pended (waited for here), or returned what it may not. */
    private void postReturned(PostOpStatus s, CallbackData data, boolean draining) {
        if (s == PostOpStatus.MORE_PROCESSING_REQUIRED && !draining) {
            Holder h = new Holder(HolderKind.PENDED_POST_OPERATION, this,
                    describe(data) + " pended in the post-operation", filter.verifier());
            pended.add(h);
            try {
                data.awaitResume();
            } finally {
                pended.remove(h);
            }
        } else if (s == PostOpStatus.DISALLOW_FSFILTER_IO) {
            if (!draining && data.majorFunction() == MajorFunction.QUERY_OPEN) {
                data.complete(NtStatus.FLT_DISALLOW_FAST_IO, 0); // the front end opens, queries and closes instead
            }
        } else {
            filter.misuse(Diagnostic.Kind.INVALID_STATUS, "post-operation " + data.majorFunction() + " of instance '" + name + "' returned " + s
                    + (draining ? " while draining (it may not pend then)" : "") + "; treated as FINISHED_PROCESSING");
        }
    }

    static String describe(CallbackData data) {
        long pid = data.requestor().pid();
        return data.majorFunction() + " " + (data.fileObject() == null ? "<volume>" : data.fileObject().path())
                + (pid >= 0 ? " (pid " + pid + ")" : "");
    }

    // ---- references, work items, filter I/O --------------------------------------------------------

    /** {@code FltObjectReference(instance)}; {@link NtStatus#FLT_DELETING_OBJECT} once a teardown began. */
    public ObjectReference reference() {
        filter.checkNotUnregistered("reference an instance");
        Holder h = new Holder(HolderKind.OBJECT_REFERENCE, this, "reference on instance '" + name + "'", filter.verifier());
        if (!references.tryAdd(h)) {
            throw new NtStatusException(NtStatus.FLT_DELETING_OBJECT, "instance '" + name + "' is being torn down");
        }
        return new ObjectReference(references, h, filter);
    }

    /**
     * {@code FltQueueGenericWorkItem} against this instance: runs {@code work} on a worker thread; until
     * it returns, the instance's teardown cannot end and the filter cannot unregister.
     * {@link NtStatus#FLT_DELETING_OBJECT} once a teardown began (the work never runs).
     */
    public NtStatus queueWorkItem(Runnable work) {
        return queueWork(work, "work item " + work);
    }

    /**
     * {@code FltQueueDeferredIoWorkItem}: continues an operation this instance's pre-operation is about to
     * pend ({@link PreOpStatus#PENDING}) on a worker thread, where {@code routine} must complete it
     * ({@link CallbackData#completePendedPreOperation}). Held like a work item; refused with
     * {@link NtStatus#FLT_DELETING_OBJECT} once the instance's teardown began (spec §6 invariant 32), in
     * which case the pre-operation must not pend.
     */
    public NtStatus queueDeferredIoWorkItem(CallbackData data, java.util.function.Consumer<CallbackData> routine) {
        return queueWork(() -> routine.accept(data), "deferred I/O work item for " + describe(data));
    }

    private NtStatus queueWork(Runnable work, String detail) {
        if (filter.state() == Filter.State.UNREGISTERED) {
            return filter.afterUnregister("queue a work item");
        }
        Holder h = new Holder(HolderKind.WORK_ITEM, this, detail, filter.verifier());
        if (!references.tryAdd(h)) {
            return NtStatus.FLT_DELETING_OBJECT;
        }
        return filter.runWorkItem(this, work, () -> references.remove(h));
    }

    /**
     * {@code FltCreateFile}: opens a file through the instances below this one only. The filter must
     * close it ({@link #closeFile}); until then the filter cannot finish unregistering.
     */
    public FileObject createFile(String path, IoParameters.Create create) {
        filter.checkNotUnregistered("open a file");
        FileObject fo = new FileObject(path);
        NtStatus s = performIo(new CallbackData(fo, create, Requestor.self()));
        if (s.isFailure()) {
            throw new NtStatusException(s, "filter '" + filter.name() + "' could not open " + path);
        }
        Holder h = new Holder(HolderKind.OPEN_FILE, this, "file " + path + " opened by the filter", filter.verifier());
        filter.holders.add(h);
        fo.openedBy(h);
        return fo;
    }

    /** Sends an operation the filter makes up to the instances below this one, then the file system. */
    public NtStatus performIo(CallbackData data) {
        filter.checkNotUnregistered("issue I/O");
        Holder h = new Holder(HolderKind.FILTER_IO, this, describe(data) + " issued by the filter", filter.verifier());
        filterIo.add(h);
        filter.holders.add(h);
        try {
            return volume.perform(data, this); // from the first instance below this one
        } finally {
            filter.holders.remove(h);
            filterIo.remove(h);
        }
    }

    /**
     * {@code FltCancelFileOpen}: from a post-operation of a successful {@code CREATE}, closes the file just
     * opened ({@code CLEANUP} then {@code CLOSE} sent below this instance) and fails the create with
     * {@code status} (the scanner's verdict, usually {@link NtStatus#ACCESS_DENIED}). The instances above
     * see the create fail; the caller never gets the file.
     */
    public NtStatus cancelFileOpen(CallbackData data, NtStatus status) {
        if (data.majorFunction() != MajorFunction.CREATE || data.status().isFailure() || data.fileObject() == null
                || status == null || !status.isFailure()) {
            return NtStatus.INVALID_PARAMETER;
        }
        FileObject fo = data.fileObject();
        performIo(new CallbackData(fo, new IoParameters.Cleanup(), data.requestor()));
        performIo(new CallbackData(fo, new IoParameters.Close(), data.requestor()));
        data.complete(status, 0);
        return NtStatus.SUCCESS;
    }

    /** Closes a file this filter opened: {@code CLEANUP} then {@code CLOSE} below this instance. */
    public NtStatus closeFile(FileObject file) {
        Holder h = file.openedBy();
        if (h == null || !name.equals(h.instance) || !volume.name().equals(h.volume) || !filter.holders.contains(h)) {
            return NtStatus.INVALID_HANDLE;
        }
        performIo(new CallbackData(file, new IoParameters.Cleanup(), Requestor.self()));
        NtStatus s = performIo(new CallbackData(file, new IoParameters.Close(), Requestor.self()));
        file.openedBy(null);
        filter.holders.remove(h);
        return s;
    }

    // ---- contexts (FltSet/Get/Delete*Context) -------------------------------------------------------

    /** How {@link #setContext} treats an existing context of that type on that object. */
    public enum SetMode {
        KEEP_IF_EXISTS, REPLACE_IF_EXISTS
    }

    /**
     * What {@link #setContext} did: the status, and the context that was there (a new reference the
     * caller must close) when the set found one (KEEP) or replaced one (REPLACE).
     */
    public record SetResult<T>(NtStatus status, Context<T> existing) {
    }

    /**
     * Links {@code context} to an object: this instance (INSTANCE), its volume (VOLUME, shared by the
     * filter's instances there), or {@code file}'s stream, file or handle. Adds one reference (the link);
     * the caller still closes its own. Errors: {@link NtStatus#FLT_CONTEXT_ALREADY_DEFINED} (KEEP and one
     * exists: nothing changes but the returned reference), {@link NtStatus#FLT_CONTEXT_ALREADY_LINKED},
     * {@link NtStatus#FLT_DELETING_OBJECT}, {@link NtStatus#NOT_SUPPORTED} (a file not opened yet).
     */
    public <T> SetResult<T> setContext(ContextType type, FileObject file, Context<T> context, SetMode mode) {
        return filter.contexts.set(this, type, file, context, mode);
    }

    /** {@code FltGet*Context}: a new reference, or empty ({@code STATUS_NOT_FOUND}). */
    public <T> Optional<Context<T>> getContext(ContextType type, FileObject file) {
        return filter.contexts.get(this, type, file);
    }

    /** {@code FltDelete*Context}: unlinks the context of that type from the object; NOT_FOUND if none. */
    public NtStatus deleteContext(ContextType type, FileObject file) {
        return filter.contexts.delete(this, type, file);
    }

    // ---- teardown, in the order it happens ------------------------------------------------------

    /**
     * Step 1: claims the teardown and stops presenting operations: out of the volume's stack, and no
     * pre-operation, reference or context set may start. False if a teardown had already begun.
     */
    boolean beginTeardown(TeardownReason reason) {
        if (!state.compareAndSet(ATTACHED, TEARING_DOWN)) {
            return false;
        }
        teardownReason = reason;
        rundown.close();
        references.beginRundown();
        volume.removeFromStack(this);
        return true;
    }

    /** Step 2: {@code InstanceTeardownStart}. */
    void teardownStart() {
        filter.callTeardown(filter.registration().teardownStart(), this, teardownReason, "teardown-start");
    }

    /** Step 3: running and pended operations finish, owed post-operations are drained, filter I/O ends. */
    void drain() {
        filter.await("teardown of '" + name + "': running pre-operations",
                rundown::awaitNoPreOperation);
        filter.await("teardown of '" + name + "': pended operations", pended::awaitIdle);
        CallbackFrame frame = CallbackFrame.current();
        rundown.drainOwed(slot -> callPost(slot, ((CallbackData) slot.operation()).copy(), frame, true));
        filter.await("teardown of '" + name + "': post-operations still running", rundown::awaitNoPostOperation);
        filter.await("teardown of '" + name + "': I/O issued by the filter", filterIo::awaitIdle);
    }

    /** Step 4: {@code InstanceTeardownComplete}. */
    void teardownComplete() {
        filter.callTeardown(filter.registration().teardownComplete(), this, teardownReason, "teardown-complete");
    }

    /** Step 5: object references and work items released; the contexts linked through it deleted. */
    void releaseReferencesAndContexts() {
        filter.await("teardown of '" + name + "': references on the instance", references::awaitRelease);
        filter.contexts.deleteLinkedThrough(this);
    }

    /** Step 6: gone; the name and altitude on the volume are free. */
    void finishTeardown() {
        state.set(TORN_DOWN);
        volume.forget(this);
        filter.forget(this);
        tornDown.countDown();
    }

    /** Waits for a teardown that someone else carries out. */
    void awaitTornDown() {
        filter.await("teardown of '" + name + "' by another request", ms -> tornDown.await(ms,
                java.util.concurrent.TimeUnit.MILLISECONDS));
    }

    /** What holds this instance now, for the report. */
    void collectHolders(List<UnloadReport.Entry> out, long now) {
        for (OperationSlot.Seen slot : rundown.snapshot()) {
            String thread = slot.slot().frame().thread.getName();
            if (slot.state() == OperationSlot.PRE) {
                out.add(new UnloadReport.Entry(HolderKind.RUNNING_CALLBACK, name, volume.name(),
                        describe((CallbackData) slot.operation()) + ": pre-operation running", java.time.Duration.ZERO, thread, List.of()));
            } else {
                boolean running = slot.state() == OperationSlot.RUNNING;
                out.add(new UnloadReport.Entry(running ? HolderKind.RUNNING_CALLBACK : HolderKind.OWED_POST_OPERATION,
                        name, volume.name(), describe((CallbackData) slot.operation()) + (running ? ": post-operation running"
                        : ": post-operation owed" + (slot.mustComplete() ? " (parameters replaced: completes, not drained)" : "")),
                        java.time.Duration.ofNanos(now - slot.since()), thread, List.of()));
            }
        }
        for (HolderSet set : List.of(pended, filterIo, references)) {
            for (Holder h : set.snapshot()) {
                if (set == filterIo) {
                    continue; // listed with the filter's holders
                }
                out.add(h.toEntry(now));
            }
        }
    }

    @Override
    public String toString() {
        return "Instance[" + filter.name() + " '" + name + "' @" + altitude + " on " + volume.name() + "]";
    }
}
