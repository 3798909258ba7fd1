package dev.altitude.core;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A rundown reference on a filter, an instance or a volume ({@code FltObjectReference}); closing it is
 * {@code FltObjectDereference}. While it is open, unregister (for a filter), the end of a teardown (for an
 * instance) or a dismount (for a volume) waits, and the "why won't it unload?" report names it.
 */
public final class ObjectReference implements AutoCloseable {
    private final HolderSet set;
    private final Holder holder;
    private final Filter reportTo;
    private final AtomicBoolean closed = new AtomicBoolean();

    ObjectReference(HolderSet set, Holder holder, Filter reportTo) {
        this.set = set;
        this.holder = holder;
        this.reportTo = reportTo;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true) || !set.remove(holder)) {
            if (reportTo != null) {
                reportTo.misuse(Diagnostic.Kind.OVER_RELEASE, "object reference (" + holder.detail + ") dereferenced twice; ignored, at " + Holder.where());
            }
        }
    }

    @Override
    public String toString() {
        return "ObjectReference[" + holder.detail + (closed.get() ? ", closed" : "") + "]";
    }
}
