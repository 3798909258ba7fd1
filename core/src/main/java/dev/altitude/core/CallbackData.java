package dev.altitude.core;

import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * One operation on its way through a volume's filter stack ({@code FLT_CALLBACK_DATA}): the major
 * function and its {@link IoParameters}, the target {@link FileObject}, who asked, and the I/O status
 * block (status, information, and a typed result such as a directory listing). A front end creates one
 * per operation and hands it to {@link Volume#perform}.
 */
public final class CallbackData {
    private final MajorFunction majorFunction;
    private final FileObject fileObject;
    private final Requestor requestor;
    private IoParameters parameters;
    private boolean dirty;
    private NtStatus status = NtStatus.SUCCESS;
    private long information;
    private IoResult result;
    private Object completionContext;
    private Volume volume;
    /** Verifier: where a filter's pre-operation queued this operation to pend it ({@link CallbackDataQueue#insert}). */
    java.util.List<StackTraceElement> queuedAt;

    // pending (FLT_PREOP_PENDING / FLT_POSTOP_MORE_PROCESSING_REQUIRED): the requesting thread parks
    private static final int NOT_PENDED = 0;
    private static final int PENDED = 1;
    private static final int RESUMED = 2;
    private volatile int pend;
    private volatile PreOpStatus resumeStatus;
    private volatile Object resumeContext;
    private volatile Thread waiter;
    private volatile Runnable cancelRoutine;
    /**
     * In a post-operation (not a pre-operation): written by the requesting thread before each callback and
     * read by a thread that completes a pended operation, which got this data from the callback through a
     * hand-off that orders the two (a queue, a lock): a plain field, so that flipping it twice per filter
     * costs no fence.
     */
    private boolean inPost;

    public CallbackData(FileObject fileObject, IoParameters parameters, Requestor requestor) {
        this.parameters = Objects.requireNonNull(parameters, "parameters");
        this.majorFunction = parameters.majorFunction();
        this.fileObject = fileObject;
        this.requestor = requestor == null ? Requestor.UNKNOWN : requestor;
    }

    public CallbackData(FileObject fileObject, IoParameters parameters) {
        this(fileObject, parameters, Requestor.UNKNOWN);
    }

    /** The volume the operation runs on (set when it is performed). */
    public Volume volume() {
        return volume;
    }

    /** Is the manager of the volume this operation is on in verifier mode? */
    boolean verifying() {
        Volume v = volume;
        return v != null && v.manager().verifier();
    }

    void setVolume(Volume volume) {
        this.volume = volume;
    }

    /** A pre-create replaced the file object's name in this pass down the stack ({@link #replaceFileName}). */
    private boolean renamed;

    /**
     * {@code IoReplaceFileObjectName}, for a redirection: in a pre-{@code CREATE}, gives the file object a new
     * volume path (normalized). The filter then completes the operation with {@link NtStatus#REPARSE}
     * ({@code complete(NtStatus.REPARSE, 0)}, {@link PreOpStatus#COMPLETE}); the volume sends the open again from the
     * top of the stack with the new name, at most {@link Volume#MAX_REPARSES} times. Instances above see their
     * post-create with {@code STATUS_REPARSE}, then the new open. {@link NtStatus#INVALID_PARAMETER} outside a
     * pre-create or for a name that is not absolute.
     */
    public NtStatus replaceFileName(String newPath) {
        if (majorFunction != MajorFunction.CREATE || inPost || fileObject == null || newPath == null
                || !newPath.startsWith("/")) {
            return NtStatus.INVALID_PARAMETER;
        }
        fileObject.rename(FileNameInformation.of(null, newPath).name());
        renamed = true;
        return NtStatus.SUCCESS;
    }

    /** Whether a pre-create replaced the name in the pass that just ended; cleared for the next one. */
    boolean takeRenamed() {
        boolean r = renamed;
        renamed = false;
        return r;
    }

    /** Before an open is sent again (a reparse): as it was sent the first time, under its new name. */
    void reissue() {
        status = NtStatus.SUCCESS;
        information = 0;
        result = null;
        completionContext = null;
    }

    /**
     * {@code FltGetDestinationFileNameInformation}: the normalized name a rename moves the file to (a
     * {@link IoParameters.FileInformation.Rename}), or the new name a hard link's create makes; its parts as
     * {@link #fileNameInformation()} gives them. {@link NtStatus#INVALID_PARAMETER} for any other operation.
     */
    public FileNameInformation destinationNameInformation() {
        String target = switch (parameters) {
            case IoParameters.SetInformation si when si.information() instanceof IoParameters.FileInformation.Rename r -> r.target();
            case IoParameters.Create c when c.kind() == IoParameters.FileKind.HARD_LINK && fileObject != null -> fileObject.path();
            default -> throw new NtStatusException(NtStatus.INVALID_PARAMETER, majorFunction + " has no destination name");
        };
        return FileNameInformation.of(volume == null ? null : volume.name(), target);
    }

    /** {@code FltGetFileNameInformation}: the normalized name of the target file and its parts. */
    public FileNameInformation fileNameInformation() {
        if (fileObject == null) {
            throw new NtStatusException(NtStatus.FLT_INVALID_NAME_REQUEST, majorFunction + " has no file");
        }
        return FileNameInformation.of(volume == null ? null : volume.name(), fileObject.path());
    }

    // ---- pended operations ----------------------------------------------------------------------

    /**
     * {@code FltCompletePendedPreOperation}: resumes an operation this filter's pre-operation pended, from
     * any thread, with {@link PreOpStatus#COMPLETE} (status as set on this data),
     * {@link PreOpStatus#SUCCESS_NO_CALLBACK} or {@link PreOpStatus#SUCCESS_WITH_CALLBACK} (then
     * {@code completionContext} goes to the post-operation). Other statuses are refused with
     * {@link NtStatus#INVALID_PARAMETER}; so is a second completion.
     */
    public NtStatus completePendedPreOperation(PreOpStatus status, Object completionContext) {
        if (status != PreOpStatus.COMPLETE && status != PreOpStatus.SUCCESS_NO_CALLBACK
                && status != PreOpStatus.SUCCESS_WITH_CALLBACK) {
            return NtStatus.INVALID_PARAMETER;
        }
        if (inPost) {
            return NtStatus.INVALID_PARAMETER;
        }
        return resume(status, completionContext);
    }

    /** {@code FltCompletePendedPostOperation}: finishes a post-operation that returned MORE_PROCESSING_REQUIRED. */
    public NtStatus completePendedPostOperation() {
        if (!inPost) {
            return NtStatus.INVALID_PARAMETER;
        }
        return resume(PreOpStatus.SUCCESS_NO_CALLBACK, null);
    }

    private synchronized NtStatus resume(PreOpStatus status, Object ctx) {
        if (pend == RESUMED) {
            return NtStatus.INVALID_PARAMETER;
        }
        resumeStatus = status;
        resumeContext = ctx;
        pend = RESUMED;
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
        return NtStatus.SUCCESS;
    }

    /** Is this operation pended and not yet resumed? */
    public boolean isPended() {
        return pend == PENDED;
    }

    /** Called by the dispatcher before a pre- or post-operation: a new pend may begin. */
    void armPend(boolean post) {
        // Only the requesting thread arms, before the callback; another thread writes these only for an
        // operation pended by that callback. Writing only what changed keeps the common path free of the
        // fences of volatile stores (eight per filter per operation otherwise).
        inPost = post;
        if (pend != NOT_PENDED) {
            pend = NOT_PENDED;
        }
        if (resumeStatus != null) {
            resumeStatus = null;
        }
        if (resumeContext != null) {
            resumeContext = null;
        }
    }

    /**
     * Parks the requesting thread until the filter resumes the operation (which may have happened
     * already). An interrupt runs the cancel routine of the queue holding it, if any.
     */
    PreOpStatus awaitResume() {
        waiter = Thread.currentThread();
        synchronized (this) {
            if (pend == NOT_PENDED) {
                pend = PENDED;
            }
        }
        boolean interrupted = false;
        while (pend != RESUMED) {
            LockSupport.park(this);
            if (Thread.interrupted()) {
                interrupted = true;
            }
            Runnable cancel = cancelRoutine;
            if (interrupted && cancel != null) {
                cancel.run();
            }
        }
        waiter = null;
        cancelRoutine = null;
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return resumeStatus;
    }

    Object takeResumeContext() {
        Object c = resumeContext;
        resumeContext = null;
        return c;
    }

    void setCancelRoutine(Runnable cancel) {
        this.cancelRoutine = cancel;
        Thread w = waiter;
        if (cancel != null && w != null) {
            LockSupport.unpark(w); // lets a waiter that was interrupted before the insert cancel now
        }
    }

    /** A copy: what a draining post-operation receives. */
    CallbackData copy() {
        CallbackData c = new CallbackData(fileObject, parameters, requestor);
        c.dirty = dirty;
        c.status = status;
        c.information = information;
        c.result = result;
        c.volume = volume;
        return c;
    }

    public MajorFunction majorFunction() {
        return majorFunction;
    }

    /** The target file object; null for volume-wide operations such as {@code SHUTDOWN}. */
    public FileObject fileObject() {
        return fileObject;
    }

    public Requestor requestor() {
        return requestor;
    }

    public IoParameters parameters() {
        return parameters;
    }

    /** The parameters cast to their record type, e.g. {@code data.parameters(IoParameters.Read.class)}. */
    public <P extends IoParameters> P parameters(Class<P> type) {
        return type.cast(parameters);
    }

    /** Replaces the parameters (same major function) and marks the data dirty. */
    public void setParameters(IoParameters parameters) {
        if (parameters.majorFunction() != majorFunction) {
            throw new NtStatusException(NtStatus.INVALID_PARAMETER,
                    "parameters for " + parameters.majorFunction() + " on a " + majorFunction + " operation");
        }
        this.parameters = parameters;
        this.dirty = true;
    }

    public boolean isDirty() {
        return dirty;
    }

    /** {@code IoStatus.Status}. */
    public NtStatus status() {
        return status;
    }

    public void setStatus(NtStatus status) {
        this.status = Objects.requireNonNull(status, "status");
    }

    /** {@code IoStatus.Information}: bytes transferred, or what the operation defines. */
    public long information() {
        return information;
    }

    public void setInformation(long information) {
        this.information = information;
    }

    /** Sets status and information together (what a completing filter or a backend does). */
    public void complete(NtStatus status, long information) {
        setStatus(status);
        this.information = information;
    }

    /** What the operation gave back beside its status: attributes, a directory listing, … (null: nothing). */
    public IoResult result() {
        return result;
    }

    /** The result as the kind the operation gives; a {@link ClassCastException} if it is another. */
    public <T extends IoResult> T result(Class<T> type) {
        return type.cast(result);
    }

    public void setResult(IoResult result) {
        this.result = result;
    }

    /**
     * In a pre-operation: what this filter's post-operation for the same operation receives as its
     * completion context.
     */
    public void setCompletionContext(Object context) {
        this.completionContext = context;
    }

    Object takeCompletionContext() {
        Object c = completionContext;
        completionContext = null;
        return c;
    }

    @Override
    public String toString() {
        return majorFunction + " " + (fileObject == null ? "<volume>" : fileObject.path()) + " -> " + status;
    }
}
