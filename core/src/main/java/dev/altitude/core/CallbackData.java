package dev.altitude.core;

import java.util.Objects;

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
    private Object result;
    private Object completionContext;

    public CallbackData(FileObject fileObject, IoParameters parameters, Requestor requestor) {
        this.parameters = Objects.requireNonNull(parameters, "parameters");
        this.majorFunction = parameters.majorFunction();
        this.fileObject = fileObject;
        this.requestor = requestor == null ? Requestor.UNKNOWN : requestor;
    }

    public CallbackData(FileObject fileObject, IoParameters parameters) {
        this(fileObject, parameters, Requestor.UNKNOWN);
    }

    /** A copy: what a draining post-operation receives. */
    CallbackData copy() {
        CallbackData c = new CallbackData(fileObject, parameters, requestor);
        c.dirty = dirty;
        c.status = status;
        c.information = information;
        c.result = result;
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

    /** A typed result: attributes, a directory listing, a volume's sizes. */
    public Object result() {
        return result;
    }

    public <T> T result(Class<T> type) {
        return type.cast(result);
    }

    public void setResult(Object result) {
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
