package dev.altitude.core;

import dev.altitude.core.context.ContextBlock;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One reference to a filter context ({@code PFLT_CONTEXT}): every allocate, get, set that returns an old
 * context, and {@link #reference()} gives a new one, and each must be closed once
 * ({@code FltReleaseContext}), best with {@code try (var ctx = ...)}. The context itself is freed, and its
 * cleanup callback runs once, when it is unlinked and its last reference is closed.
 *
 * <p>Closing the same reference twice is an over-release (Windows: bugcheck 0xF5/0x6D): it is reported and
 * changes nothing. Taking a reference to a freed context (0xF5/0x6E) fails with {@link NtStatus#FILE_CLOSED}
 * and is reported.
 */
public final class Context<T> implements AutoCloseable {
    final ContextBlock block;
    private final AtomicBoolean closed = new AtomicBoolean();
    final Holder holder;
    private final Contexts contexts;

    Context(ContextBlock block, Holder holder, Contexts contexts) {
        this.block = block;
        this.holder = holder;
        this.contexts = contexts;
    }

    @SuppressWarnings("unchecked")
    public T value() {
        return (T) block.value;
    }

    public ContextType type() {
        return block.type;
    }

    /** The context's reference count now (the link counts as one). */
    public int referenceCount() {
        return block.references();
    }

    public boolean isLinked() {
        return block.isLinked();
    }

    /** {@code FltReferenceContext}: a new reference (+1). */
    public Context<T> reference() {
        if (closed.get() || !block.tryReference()) {
            contexts.misuse(Diagnostic.Kind.USE_AFTER_FREE, "reference to a " + block.type + " context that was "
                    + (closed.get() ? "already released through this reference" : "freed")
                    + " (Windows: bugcheck 0xF5/0x6E); refused at " + Holder.where());
            throw new NtStatusException(NtStatus.FILE_CLOSED, "the context reference is no longer valid");
        }
        return contexts.newReference(block);
    }

    /**
     * {@code FltDeleteContext}: unlinks the context from its object and drops the link's reference; this
     * reference stays valid until closed. {@link NtStatus#NOT_FOUND} if it was not linked.
     */
    public NtStatus delete() {
        return block.unlink() ? NtStatus.SUCCESS : NtStatus.NOT_FOUND;
    }

    /** {@code FltReleaseContext}: −1. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            contexts.misuse(Diagnostic.Kind.OVER_RELEASE, "a " + block.type + " context reference released twice (Windows: bugcheck 0xF5/0x6D); "
                    + "the second release is ignored, at " + Holder.where());
            return;
        }
        contexts.referenceClosed(this);
        block.release();
    }

    boolean isClosed() {
        return closed.get();
    }

    List<StackTraceElement> site() {
        return holder == null ? List.of() : holder.site;
    }

    @Override
    public String toString() {
        return "Context[" + block.describe() + "]";
    }
}
