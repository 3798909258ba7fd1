package dev.altitude.core;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

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
    private final AtomicInteger refs = new AtomicInteger(1);
    private final AtomicBoolean freed = new AtomicBoolean();

    /** Where it is linked (guarded by the map's atomic operations): the map, the key, the instance. */
    volatile Map<Object, ContextBlock> linkMap;
    volatile Object linkKey;
    volatile Instance linkInstance;
    volatile String linkedTo;

    ContextBlock(Filter filter, ContextType type, Object value, Holder alive) {
        this.filter = filter;
        this.type = type;
        this.value = value;
        this.alive = alive;
    }

    int references() {
        return refs.get();
    }

    boolean isFreed() {
        return freed.get();
    }

    boolean isLinked() {
        return linkMap != null;
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
            filter.misuse("context reference count went below zero (Windows: bugcheck 0xF5/0x6D); ignored");
        }
    }

    private void free() {
        if (!freed.compareAndSet(false, true)) {
            return;
        }
        if (isLinked()) {
            filter.misuse(type + " context freed while still linked to " + linkedTo + " (Windows: bugcheck 0xF5/0x6D)");
        }
        filter.contextFreed(this);
    }

    /** Links into {@code map} under {@code key}; the caller added the link's reference already. */
    void linked(Map<Object, ContextBlock> map, Object key, Instance instance, String where) {
        linkMap = map;
        linkKey = key;
        linkInstance = instance;
        linkedTo = where;
    }

    /** Unlinks (once, whoever asks first) and drops the link's reference. False if it was not linked. */
    boolean unlink() {
        Map<Object, ContextBlock> map = linkMap;
        Object key = linkKey;
        if (map == null || !map.remove(key, this)) {
            return false;
        }
        Instance inst = linkInstance;
        linkMap = null;
        linkKey = null;
        linkInstance = null;
        if (inst != null) {
            inst.linkedContexts.remove(this);
        } else {
            filter.linkedVolumeContexts.remove(this);
        }
        release();
        return true;
    }

    String describe() {
        return type + " context " + value + ", " + refs.get() + " reference(s)"
                + (isLinked() ? " (one of them the link to " + linkedTo + ")" : ", unlinked");
    }
}
