package dev.altitude.nio;

import dev.altitude.core.IoParameters.ChangeAction;
import dev.altitude.core.IoResult.DirectoryChange;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The change notifications of one {@link NioBackend}: the changes come from one watch service of the base file
 * system (made on the first watch), whose keys one thread takes ({@code altitude-watch}). Each watched directory
 * handle has a {@link Watch} that gathers its changes until the front end's next {@code NotifyChangeDirectory}
 * takes them; the thread tells the front end that a batch is waiting, and the front end sends that operation
 * through the filters.
 */
final class BaseWatches implements AutoCloseable {
    private final FileSystem base;
    /** The watches of each base key: the base gives one key per directory, however many handles watch it. */
    private final Map<WatchKey, List<Watch>> byKey = new ConcurrentHashMap<>();
    private WatchService service;
    private boolean closed;

    BaseWatches(FileSystem base) {
        this.base = base;
    }

    /** One watched directory handle. */
    static final class Watch {
        private final BaseWatches owner;
        private final WatchKey key;
        private final Set<ChangeAction> actions;
        private final List<DirectoryChange> pending = new ArrayList<>();
        private boolean lost;
        private boolean ended;
        private Runnable listener;

        private Watch(BaseWatches owner, WatchKey key, Set<ChangeAction> actions) {
            this.owner = owner;
            this.key = key;
            this.actions = actions;
        }

        /** What the next notification completes with: the changes so far, lost ones, and whether the watch ended. */
        record Batch(List<DirectoryChange> changes, boolean lost, boolean ended) {
        }

        synchronized Batch take() {
            Batch b = new Batch(List.copyOf(pending), lost, ended);
            pending.clear();
            lost = false;
            return b;
        }

        /** {@code listener} is run (on the watch thread) each time changes are waiting; at once if some are now. */
        void listen(Runnable l) {
            boolean waiting;
            synchronized (this) {
                listener = l;
                waiting = !pending.isEmpty() || lost || ended;
            }
            if (waiting) {
                l.run();
            }
        }

        /** The handle is cleaned up: the base key is cancelled and nothing more is gathered. */
        void cancel() {
            owner.forget(this);
            synchronized (this) {
                ended = true;
                listener = null;
            }
        }

        private void gather(List<WatchEvent<?>> events, boolean stillValid) {
            Runnable l;
            synchronized (this) {
                for (WatchEvent<?> e : events) {
                    if (e.kind() == StandardWatchEventKinds.OVERFLOW) {
                        lost = true;
                    } else {
                        ChangeAction a = e.kind() == StandardWatchEventKinds.ENTRY_CREATE ? ChangeAction.ADDED
                                : e.kind() == StandardWatchEventKinds.ENTRY_DELETE ? ChangeAction.REMOVED
                                : ChangeAction.MODIFIED;
                        for (int i = 0; actions.contains(a) && i < e.count(); i++) {
                            pending.add(new DirectoryChange(a, e.context().toString()));
                        }
                    }
                }
                if (!stillValid) {
                    ended = true;
                }
                l = listener;
            }
            if (l != null) {
                try {
                    l.run();
                } catch (RuntimeException e) {
                    // the front end keeps the changes for the next batch; the thread goes on for the other watches
                }
            }
        }
    }

    /** Starts watching {@code dir} of the base for the changes {@code actions} names. */
    synchronized Watch watch(Path dir, Set<ChangeAction> actions) throws IOException {
        WatchService s = service();
        // the base key asks for what every watch of the directory asks for; each watch keeps to its own
        WatchKey key = dir.register(s, kinds(actions));
        List<Watch> watches = byKey.computeIfAbsent(key, k -> new java.util.concurrent.CopyOnWriteArrayList<>());
        java.util.EnumSet<ChangeAction> all = java.util.EnumSet.copyOf(actions);
        for (Watch w : watches) {
            all.addAll(w.actions);
        }
        if (!all.equals(actions)) {
            dir.register(s, kinds(all));
        }
        Watch w = new Watch(this, key, actions);
        watches.add(w);
        return w;
    }

    private static WatchEvent.Kind<?>[] kinds(Set<ChangeAction> actions) {
        List<WatchEvent.Kind<Path>> kinds = new ArrayList<>();
        for (ChangeAction a : actions) {
            kinds.add(switch (a) {
                case ADDED -> StandardWatchEventKinds.ENTRY_CREATE;
                case REMOVED -> StandardWatchEventKinds.ENTRY_DELETE;
                case MODIFIED -> StandardWatchEventKinds.ENTRY_MODIFY;
            });
        }
        return kinds.toArray(WatchEvent.Kind<?>[]::new);
    }

    /** A watch ends: the base key is cancelled with the last watch of its directory. */
    private synchronized void forget(Watch w) {
        List<Watch> watches = byKey.get(w.key);
        if (watches != null && watches.remove(w) && watches.isEmpty()) {
            byKey.remove(w.key);
            w.key.cancel();
        }
    }

    private synchronized WatchService service() throws IOException {
        if (closed) {
            throw new ClosedWatchServiceException();
        }
        if (service == null) {
            service = base.newWatchService();
            WatchService s = service;
            Thread t = new Thread(() -> takeKeys(s), "altitude-watch");
            t.setDaemon(true);
            t.start();
        }
        return service;
    }

    private void takeKeys(WatchService s) {
        try {
            while (true) {
                WatchKey key = s.take();
                List<WatchEvent<?>> events = key.pollEvents();
                boolean valid = key.reset();
                List<Watch> watches;
                synchronized (this) { // a watch being made is in its list before its first events are handed out
                    watches = valid ? byKey.get(key) : byKey.remove(key);
                }
                for (Watch w : watches == null ? List.<Watch>of() : watches) {
                    w.gather(events, valid);
                }
            }
        } catch (ClosedWatchServiceException | InterruptedException e) {
            // the backend closed
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (service != null) {
            try {
                service.close();
            } catch (IOException e) {
                // nothing more to watch either way
            }
        }
    }
}
