package dev.altitude.core;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A context's memory, in Windows terms: its value, its reference count and where it is linked. Alive
 * from allocation until the count reaches zero (which needs it unlinked: the link holds a reference);
 * then its cleanup callback runs once and the filter's rundown reference for it is released, so
 * unregister cannot return while any context of the filter is alive.
 */
final class ContextBlock {
    final Filter filter;
    final ContextType type;
    final Object value;
    final Holder alive;
    private final java.util.function.Consumer<ContextBlock> freer;
    private final AtomicInteger refs = new AtomicInteger(1);
    private final AtomicBoolean freed = new AtomicBoolean();

    /** Where a context is linked: the map holding it, its key there, the instance (null for a volume), a description. */
    record Link(Map<Object, ContextBlock> map, Object key, Instance instance, String where) {
    }

    /** Read and cleared as one value, so that racing unlinks see either the whole link or none. */
    private final AtomicReference<Link> link = new AtomicReference<>();

    ContextBlock(Filter filter, ContextType type, Object value, Holder alive) {
        this(filter, type, value, alive, filter.contexts::freed);
    }

    /** With {@code freer} called once when the count reaches zero (tests pass their own; filter may be null). */
    ContextBlock(Filter filter, ContextType type, Object value, Holder alive,
                 java.util.function.Consumer<ContextBlock> freer) {
        this.filter = filter;
        this.type = type;
        this.value = value;
        this.alive = alive;
        this.freer = freer;
    }

    private void misuse(Diagnostic.Kind kind, String message) {
        if (filter != null) {
            filter.misuse(kind, message);
        }
    }

    int references() {
        return refs.get();
    }

    boolean isFreed() {
        return freed.get();
    }

    boolean isLinked() {
        return link.get() != null;
    }

    /** +1 unless the count already reached zero (the context is being freed). */
    boolean tryReference() {
        int r = refs.get();
        while (r > 0) {
            if (refs.compareAndSet(r, r + 1)) {
                return true;
            }
            r = refs.get();
        }
        return false;
    }

    void reference() {
        refs.incrementAndGet();
    }

    /** −1; at zero the context is freed: cleanup callback, then the filter's reference released. */
    void release() {
        int r = refs.decrementAndGet();
        if (r == 0) {
            free();
        } else if (r < 0) {
            refs.incrementAndGet();
            misuse(Diagnostic.Kind.OVER_RELEASE, "context reference count went below zero (Windows: bugcheck 0xF5/0x6D); ignored");
        }
    }

    private void free() {
        if (!freed.compareAndSet(false, true)) {
            return;
        }
        Link l = link.get();
        if (l != null) {
            misuse(Diagnostic.Kind.EARLY_FREE, type + " context freed while still linked to " + l.where() + " (Windows: bugcheck 0xF5/0x6D)");
        }
        freer.accept(this);
    }

    /**
     * Records where the context is about to be linked; called before it is put into {@code map}, so that
     * whoever finds it there can unlink it. The caller added the link's reference already.
     */
    void linked(Map<Object, ContextBlock> map, Object key, Instance instance, String where) {
        link.set(new Link(map, key, instance, where));
    }

    /** Forgets the link without touching the map (the map no longer holds this context). */
    void clearLink() {
        link.set(null);
    }

    /**
     * Unlinks (once, whoever asks first) and drops the link's reference. False if it was not linked. Whole
     * under this block's monitor, so a loser of the race (a teardown sweeping while an application closes the
     * file's last handle) returns only after the winner dropped the link's reference: {@link #stillReferenced}
     * then sees the count without a reference in transit.
     */
    synchronized boolean unlink() {
        Link l = link.get();
        if (l == null || !l.map().remove(l.key(), this)) {
            return false;
        }
        link.compareAndSet(l, null);
        if (l.instance() != null) {
            l.instance().linkedContexts.remove(this);
        } else if (filter != null) {
            filter.contexts.linkedToVolumes.remove(this);
        }
        release();
        return true;
    }

    /**
     * After an unlink: does anything still hold the context? Waits for an unlink under way elsewhere; a
     * reference that the unlink is about to drop is not a leak (the verifier's false report).
     */
    synchronized boolean stillReferenced() {
        return !freed.get();
    }

    String describe() {
        return type + " context " + value + ", " + refs.get() + " reference(s)"
                + (link.get() instanceof Link l ? " (one of them the link to " + l.where() + ")" : ", unlinked");
    }
}
