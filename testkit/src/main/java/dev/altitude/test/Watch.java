package dev.altitude.test;

import dev.altitude.core.Filter;
import dev.altitude.core.NtStatus;
import dev.altitude.core.UnloadFlag;
import dev.altitude.core.probe.Probe;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The kit's observer of one filter manager: for each load of a filter (a "life", from its first event to its
 * unregister), what the manager promised about it, checked from outside the filter. Holds no filter object
 * strongly past its unregister, so that a generation's class loader can be collected.
 */
final class Watch implements Probe {

    /** One load of a filter, as seen through the probe. */
    static final class Life {
        final String filter;
        final int number;
        final WeakReference<Filter> object;
        volatile boolean unregistered;
        final List<String> late = new CopyOnWriteArrayList<>();
        final List<String> broken = new CopyOnWriteArrayList<>();
        final Map<Operation, Boolean> owed = new ConcurrentHashMap<>();
        final AtomicLong owedTotal = new AtomicLong();
        final AtomicLong drained = new AtomicLong();
        final Set<Object> liveContexts = ConcurrentHashMap.newKeySet();
        final AtomicLong contextsAllocated = new AtomicLong();
        final AtomicLong contextsFreed = new AtomicLong();
        final Set<String> ports = ConcurrentHashMap.newKeySet();
        /** Each client port disconnected, by a weak reference (a port reaches the filter and its class loader). */
        final List<Disconnects> clients = new CopyOnWriteArrayList<>();
        final List<String> unloadCallbacks = new CopyOnWriteArrayList<>();
        volatile NtStatus lastUnloadStatus;
        volatile Set<UnloadFlag> lastUnloadFlags;

        Life(Filter f, int number) {
            this.filter = f.name();
            this.number = number;
            this.object = new WeakReference<>(f);
        }

        /** What this life broke, one line each (empty if nothing). */
        List<String> problems() {
            List<String> out = new ArrayList<>();
            for (String l : late) {
                out.add("callback after unregister returned: " + l);
            }
            out.addAll(broken);
            if (unregistered) {
                if (!owed.isEmpty()) {
                    out.add(owed.size() + " owed post-operation(s) never called (neither normally nor draining)");
                }
                if (!liveContexts.isEmpty()) {
                    out.add(liveContexts.size() + " context(s) never cleaned up after unregister: " + liveContexts);
                }
                for (Disconnects d : clients) {
                    if (d.count.get() != 1) {
                        out.add("client " + d.name + " disconnected " + d.count.get() + " times (once expected)");
                    }
                }
            }
            return out;
        }
    }

    private final Map<Filter, Life> live = new ConcurrentHashMap<>();
    private final List<Life> all = new CopyOnWriteArrayList<>();
    private final AtomicInteger lives = new AtomicInteger();

    /** The life of {@code f} (a filter loaded now). */
    Life of(Filter f) {
        return life(f);
    }

    /** The life of {@code f}: its current one, or the ended one it belongs to (then the event is late). */
    private Life life(Filter f) {
        Life l = live.get(f);
        if (l != null) {
            return l;
        }
        for (Life ended : all) {
            if (ended.object.get() == f) {
                return ended;
            }
        }
        return live.computeIfAbsent(f, x -> {
            Life n = new Life(x, lives.incrementAndGet());
            all.add(n);
            return n;
        });
    }

    private static void entered(Life l, String what) {
        if (l.unregistered) {
            l.late.add(what + " (thread " + Thread.currentThread().getName() + ")");
        }
    }

    @Override
    public void callback(Filter filter, String what) {
        entered(life(filter), what);
    }

    @Override
    public void preOperation(Filter filter, String what) {
        entered(life(filter), what);
    }

    @Override
    public void postOwed(Filter filter, Operation operation) {
        Life l = life(filter);
        l.owedTotal.incrementAndGet();
        if (l.owed.put(operation, Boolean.TRUE) != null) {
            l.broken.add("a post-operation owed twice for one operation");
        }
    }

    @Override
    public void postCalled(Filter filter, Operation operation, boolean draining) {
        Life l = life(filter);
        entered(l, draining ? "post-operation (draining)" : "post-operation");
        if (draining) {
            l.drained.incrementAndGet();
        }
        if (l.owed.remove(operation) == null) {
            l.broken.add("a post-operation called that was not owed, or called a second time" + (draining ? " (draining)" : ""));
        }
    }

    @Override
    public void contextAllocated(Filter filter, Object context) {
        Life l = life(filter);
        l.contextsAllocated.incrementAndGet();
        l.liveContexts.add(new Identity(context));
    }

    @Override
    public void contextFreed(Filter filter, Object context) {
        Life l = life(filter);
        entered(l, "context cleanup of " + context);
        l.contextsFreed.incrementAndGet();
        if (!l.liveContexts.remove(new Identity(context))) {
            l.broken.add("context " + context + " cleaned up a second time");
        }
    }

    @Override
    public void portCreated(Filter filter, String port) {
        life(filter).ports.add(port);
    }

    @Override
    public void clientDisconnected(Filter filter, Object client) {
        Life l = life(filter);
        entered(l, "disconnect notification");
        synchronized (l.clients) {
            for (Disconnects d : l.clients) {
                if (d.client.get() == client) {
                    d.count.incrementAndGet();
                    return;
                }
            }
            l.clients.add(new Disconnects(new WeakReference<>(client), client.toString(), new AtomicInteger(1)));
        }
    }

    @Override
    public void unloadCallbackReturned(Filter filter, Set<UnloadFlag> flags, NtStatus status) {
        Life l = life(filter);
        l.lastUnloadFlags = flags;
        l.lastUnloadStatus = status;
        l.unloadCallbacks.add(flags + " -> " + status);
    }

    @Override
    public void unregistered(Filter filter) {
        Life l = life(filter);
        l.unregistered = true;
        live.remove(filter, l);
    }

    /** Every life so far, oldest first. */
    List<Life> lives() {
        return List.copyOf(all);
    }

    /** Every problem of every life, each line prefixed with its filter and load number. */
    List<String> problems() {
        List<String> out = new ArrayList<>();
        for (Life l : all) {
            for (String p : l.problems()) {
                out.add("[" + l.filter + " load " + l.number + "] " + p);
            }
        }
        return out;
    }

    /** How often one client port was disconnected. */
    record Disconnects(WeakReference<Object> client, String name, AtomicInteger count) {
    }

    /** An object compared by identity, printed by its own toString (contexts are the manager's objects). */
    private record Identity(Object o) {
        @Override
        public boolean equals(Object other) {
            return other instanceof Identity i && i.o == o;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(o);
        }

        @Override
        public String toString() {
            return String.valueOf(o);
        }
    }
}
