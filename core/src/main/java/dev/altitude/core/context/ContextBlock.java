package dev.altitude.core.context;

import dev.altitude.core.ContextType;
import dev.altitude.core.Diagnostic;
import dev.altitude.core.rundown.Waits;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A context's memory, in Windows terms: its value, its reference count and where it is linked. Alive
 * from allocation until the count reaches zero (which needs it unlinked: the link holds a reference);
 * then its owner is told, once ({@link Owner#freed}: the cleanup callback runs and the filter's rundown
 * holder for it goes, so unregister cannot return while any context of the filter is alive). It knows nothing
 * of filters or instances: the rules of who may link what where are the owner's ({@code Contexts}).
 */
public final class ContextBlock {
    /** Who a block answers to: told of misuse, and of the free. */
    public interface Owner {
        void misuse(Diagnostic.Kind kind, String message);

        void freed(ContextBlock block);
    }

    private final Owner owner;
    public final ContextType type;
    public final Object value;
    private final AtomicInteger refs = new AtomicInteger(1);
    private final AtomicBoolean freed = new AtomicBoolean();

    /**
     * Where a context is linked: the map holding it, its key there, the set of links it is counted in (its
     * instance's, or the filter's volume contexts), a description.
     */
    public record Link(Map<Object, ContextBlock> map, Object key, Set<ContextBlock> linkedIn, String where) {
    }

    /** Read and cleared as one value, so that racing unlinks see either the whole link or none. */
    private final AtomicReference<Link> link = new AtomicReference<>();

    /** A new context, one reference (the allocator's). */
    public ContextBlock(Owner owner, ContextType type, Object value) {
        this.owner = java.util.Objects.requireNonNull(owner, "owner");
        this.type = type;
        this.value = value;
    }

    public Owner owner() {
        return owner;
    }

    public int references() {
        return refs.get();
    }

    public boolean isFreed() {
        return freed.get();
    }

    public boolean isLinked() {
        return link.get() != null;
    }

    /** +1 unless the count already reached zero (the context is being freed). */
    public boolean tryReference() {
        int r = refs.get();
        while (r > 0) {
            if (refs.compareAndSet(r, r + 1)) {
                return true;
            }
            r = refs.get();
        }
        return false;
    }

    public void reference() {
        refs.incrementAndGet();
    }

    /** −1; at zero the context is freed: cleanup callback, then the filter's reference released. */
    public void release() {
        int r = refs.decrementAndGet();
        if (r == 0) {
            free();
        } else if (r < 0) {
            refs.incrementAndGet();
            owner.misuse(Diagnostic.Kind.OVER_RELEASE, "context reference count went below zero (Windows: bugcheck 0xF5/0x6D); ignored");
        }
    }

    private void free() {
        if (!freed.compareAndSet(false, true)) {
            return;
        }
        Link l = link.get();
        if (l != null) {
            owner.misuse(Diagnostic.Kind.EARLY_FREE, type + " context freed while still linked to " + l.where() + " (Windows: bugcheck 0xF5/0x6D)");
        }
        owner.freed(this);
    }

    /**
     * Records where the context is about to be linked; called before it is put into {@code map}, so that
     * whoever finds it there can unlink it. The caller added the link's reference already.
     */
    public void linked(Map<Object, ContextBlock> map, Object key, Set<ContextBlock> linkedIn, String where) {
        link.set(new Link(map, key, linkedIn, where));
    }

    /** Forgets the link without touching the map (the map no longer holds this context). */
    public void clearLink() {
        link.set(null);
    }

    /**
     * Unlinks (once, whoever asks first) and drops the link's reference. False if it was not linked. Whole
     * under this block's monitor, so a loser of the race (a teardown sweeping while an application closes the
     * file's last handle) returns only after the winner dropped the link's reference: {@link #stillReferenced}
     * then sees the count without a reference in transit.
     */
    public synchronized boolean unlink() {
        Link l = link.get();
        if (l == null || !l.map().remove(l.key(), this)) {
            return false;
        }
        link.compareAndSet(l, null);
        l.linkedIn().remove(this);
        release();
        return true;
    }

    /**
     * After an unlink: does anything still hold the context? Waits for an unlink under way elsewhere; a
     * reference that the unlink is about to drop is not a leak (the verifier's false report).
     */
    public synchronized boolean stillReferenced() {
        return !freed.get();
    }

    public String describe() {
        return type + " context " + value + ", " + refs.get() + " reference(s)"
                + (link.get() instanceof Link l ? " (one of them the link to " + l.where() + ")" : ", unlinked");
    }
}
