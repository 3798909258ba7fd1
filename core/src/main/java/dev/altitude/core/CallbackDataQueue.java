package dev.altitude.core;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * A cancel-safe queue of pended operations ({@code FltCbdq*}). A pre-operation inserts its callback data
 * and returns {@link PreOpStatus#PENDING}; a worker removes entries and completes them. If the requesting
 * thread is interrupted while its operation waits in the queue, the operation is taken out and completed
 * with {@link NtStatus#CANCELLED}. Once {@link #disable()}d (in teardown-start), inserts fail with
 * {@link NtStatus#FLT_CBDQ_DISABLED}.
 */
public final class CallbackDataQueue {
    private final LinkedHashSet<CallbackData> entries = new LinkedHashSet<>();
    private boolean disabled;

    /** Queues {@code data}; {@link NtStatus#FLT_CBDQ_DISABLED} when disabled. */
    public synchronized NtStatus insert(CallbackData data) {
        if (disabled) {
            return NtStatus.FLT_CBDQ_DISABLED;
        }
        entries.add(data);
        if (data.verifying()) {
            data.queuedAt = Holder.callSite();
        }
        data.setCancelRoutine(() -> {
            if (remove(data)) {
                data.complete(NtStatus.CANCELLED, 0);
                data.completePendedPreOperation(PreOpStatus.COMPLETE, null);
            }
        });
        return NtStatus.SUCCESS;
    }

    /** The oldest entry, or null. */
    public synchronized CallbackData remove() {
        Iterator<CallbackData> it = entries.iterator();
        if (!it.hasNext()) {
            return null;
        }
        CallbackData d = it.next();
        it.remove();
        d.setCancelRoutine(null);
        return d;
    }

    /** Takes out one entry; false if it is not queued (already removed or cancelled). */
    public synchronized boolean remove(CallbackData data) {
        if (entries.remove(data)) {
            data.setCancelRoutine(null);
            return true;
        }
        return false;
    }

    /** Takes out every entry, oldest first. */
    public synchronized List<CallbackData> removeAll() {
        List<CallbackData> all = new ArrayList<>(entries);
        entries.clear();
        all.forEach(d -> d.setCancelRoutine(null));
        return all;
    }

    public synchronized void disable() {
        disabled = true;
    }

    public synchronized void enable() {
        disabled = false;
    }

    public synchronized int size() {
        return entries.size();
    }
}
