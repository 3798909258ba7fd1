package dev.altitude.nio;

import dev.altitude.core.CallbackData;
import dev.altitude.core.FileObject;
import dev.altitude.core.IoParameters;
import dev.altitude.core.IoParameters.ChangeAction;
import dev.altitude.core.IoResult;
import dev.altitude.core.NtStatus;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.Watchable;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;

/**
 * A watch service of an Altitude volume, as Windows watches a directory: registering a directory opens it and sends
 * {@code DIRECTORY_CONTROL} / {@code NotifyChangeDirectory} through the filters (which may refuse it), and each batch
 * of changes the base file system's watch service reports is another such operation, whose post-operations see (and
 * may change) the batch before its events reach the key. A filter that hides a name from listings hides its events.
 */
final class AltitudeWatchService implements WatchService {
    /** As the JDK's keys: past this many pending events a key holds one {@code OVERFLOW}. */
    private static final int MAX_EVENTS = 512;
    private static final Key CLOSED = new Key(null, null, null, Set.of());

    private final AltitudeFileSystem fs;
    private final LinkedBlockingDeque<Key> signalled = new LinkedBlockingDeque<>();
    /** The valid keys, by the directory's volume path. */
    private final Map<String, Key> keys = new ConcurrentHashMap<>();
    private volatile boolean closed;

    AltitudeWatchService(AltitudeFileSystem fs) {
        this.fs = fs;
    }

    /** {@code Path.register}: a key per directory; registering it again changes the kinds the key reports. */
    WatchKey register(AltitudePath dir, WatchEvent.Kind<?>[] kinds, WatchEvent.Modifier... modifiers) throws IOException {
        Objects.requireNonNull(kinds, "events");
        EnumSet<ChangeAction> actions = EnumSet.noneOf(ChangeAction.class);
        for (WatchEvent.Kind<?> k : kinds) {
            if (k == StandardWatchEventKinds.ENTRY_CREATE) {
                actions.add(ChangeAction.ADDED);
            } else if (k == StandardWatchEventKinds.ENTRY_DELETE) {
                actions.add(ChangeAction.REMOVED);
            } else if (k == StandardWatchEventKinds.ENTRY_MODIFY) {
                actions.add(ChangeAction.MODIFIED);
            } else if (k != StandardWatchEventKinds.OVERFLOW) {
                throw k == null ? new NullPointerException("an event kind is null")
                        : new UnsupportedOperationException(k.name() + " is not a kind Altitude's watch service reports");
            }
        }
        for (WatchEvent.Modifier m : modifiers) {
            if (m == null) {
                throw new NullPointerException("a modifier is null");
            }
            if (!m.getClass().getName().equals("com.sun.nio.file.SensitivityWatchEventModifier")) {
                throw new UnsupportedOperationException("modifier " + m.name() + " is not supported");
            } // the sensitivity of a polling service: the JDK's own service ignores it too
        }
        if (actions.isEmpty()) {
            throw new IllegalArgumentException("No events to register");
        }
        if (closed) {
            throw new ClosedWatchServiceException();
        }
        String volumePath = dir.volumePath();
        FileObject fo = fs.open(dir, new IoParameters.Create(Set.of(IoParameters.Access.READ_DATA,
                IoParameters.Access.SYNCHRONIZE), IoParameters.CreateDisposition.OPEN, Set.of(),
                IoParameters.FileKind.DIRECTORY, null, null));
        Key key;
        try {
            fs.perform(fo, new IoParameters.NotifyChangeDirectory(actions), dir.toString(), null);
            key = new Key(this, dir, fo, actions);
        } catch (IOException | RuntimeException e) {
            fs.close(fo);
            throw e;
        }
        Key earlier = keys.get(volumePath);
        if (earlier != null && earlier.isValid()) {
            earlier.replaceWatch(key); // the same key, the new handle and kinds
            key = earlier;
        } else {
            keys.put(volumePath, key);
        }
        if (closed) {
            key.cancel();
            throw new ClosedWatchServiceException();
        }
        key.listen();
        return key;
    }

    AltitudeFileSystem fileSystem() {
        return fs;
    }

    private void checkOpen() {
        if (closed) {
            throw new ClosedWatchServiceException();
        }
    }

    private Key checked(Key k) {
        if (k == CLOSED) {
            signalled.offer(CLOSED); // for the other waiters
            throw new ClosedWatchServiceException();
        }
        return k;
    }

    @Override
    public WatchKey poll() {
        checkOpen();
        Key k = signalled.poll();
        return k == null ? null : checked(k);
    }

    @Override
    public WatchKey poll(long timeout, TimeUnit unit) throws InterruptedException {
        checkOpen();
        Key k = signalled.poll(timeout, unit);
        return k == null ? null : checked(k);
    }

    @Override
    public WatchKey take() throws InterruptedException {
        checkOpen();
        return checked(signalled.take());
    }

    /** Every key is cancelled (its directory handle closed through the filters); waiters get {@code ClosedWatchServiceException}. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Key k : new ArrayList<>(keys.values())) {
            k.cancel();
        }
        signalled.clear();
        signalled.offer(CLOSED);
    }

    private void enqueue(Key k) {
        if (!closed) {
            signalled.offer(k);
        }
    }

    /** A watched directory: one open handle (replaced when registered again) and the events not yet polled. */
    static final class Key implements WatchKey {
        private final AltitudeWatchService service;
        private final AltitudePath dir;
        private FileObject fo;
        private Set<ChangeAction> actions;
        private final List<Event> events = new ArrayList<>();
        /** The last MODIFY event of each name since the last poll, as the JDK's keys merge them. */
        private final Map<String, Event> lastModify = new HashMap<>();
        private boolean valid = true;
        private boolean signalledState;

        private Key(AltitudeWatchService service, AltitudePath dir, FileObject fo, Set<ChangeAction> actions) {
            this.service = service;
            this.dir = dir;
            this.fo = fo;
            this.actions = actions;
        }

        private synchronized FileObject handle() {
            return fo;
        }

        /** Registered again: the new handle and kinds; the old handle is closed. */
        private void replaceWatch(Key fresh) {
            FileObject old;
            synchronized (this) {
                old = fo;
                fo = fresh.fo;
                actions = fresh.actions;
            }
            service.fs.close(old);
        }

        /** The base says changes wait: a notification takes them through the filters. */
        private void listen() {
            FileObject f = handle();
            BaseWatches.Watch w = NioBackend.watchOf(f);
            if (w != null) {
                w.listen(() -> fetch(f));
            }
        }

        /** One {@code NotifyChangeDirectory} on the handle; its batch, as the filters leave it, becomes events. */
        private void fetch(FileObject f) {
            if (handle() != f) {
                return; // registered again since: the new handle's watch reports
            }
            CallbackData d = new CallbackData(f, new IoParameters.NotifyChangeDirectory(actions));
            NtStatus s = service.fs.send(d);
            List<IoResult.DirectoryChange> changes = d.result() instanceof IoResult.DirectoryChanges c ? c.changes() : List.of();
            synchronized (this) {
                if (!valid || fo != f) {
                    return;
                }
                if (s.isSuccess()) {
                    for (IoResult.DirectoryChange c : changes) {
                        signal(kindOf(c.action()), service.fs.getPath(c.name()));
                    }
                }
                if (s.equals(NtStatus.NOTIFY_ENUM_DIR)) {
                    signal(StandardWatchEventKinds.OVERFLOW, null);
                }
            }
            if (s.equals(NtStatus.NOTIFY_CLEANUP)) {
                invalidate(true); // the directory went away: the key is cancelled and signalled, as the JDK's
            }
        }

        private static WatchEvent.Kind<Path> kindOf(ChangeAction a) {
            return switch (a) {
                case ADDED -> StandardWatchEventKinds.ENTRY_CREATE;
                case REMOVED -> StandardWatchEventKinds.ENTRY_DELETE;
                case MODIFIED -> StandardWatchEventKinds.ENTRY_MODIFY;
            };
        }

        /** Adds an event as the JDK's keys do: repeats are counted, past the limit one OVERFLOW stands for the rest. */
        private void signal(WatchEvent.Kind<?> kind, Path context) {
            int n = events.size();
            if (n > 0) {
                Event prev = events.get(n - 1);
                if (prev.kind == StandardWatchEventKinds.OVERFLOW
                        || prev.kind == kind && Objects.equals(prev.context, context)) {
                    prev.count++;
                    return;
                }
                if (kind == StandardWatchEventKinds.ENTRY_MODIFY && context != null) {
                    Event m = lastModify.get(context.toString());
                    if (m != null) {
                        m.count++;
                        return;
                    }
                }
                if (n >= MAX_EVENTS) {
                    kind = StandardWatchEventKinds.OVERFLOW;
                    context = null;
                }
            }
            Event e = new Event(kind, context);
            if (kind == StandardWatchEventKinds.ENTRY_MODIFY && context != null) {
                lastModify.put(context.toString(), e);
            } else if (context != null) {
                lastModify.remove(context.toString());
            }
            events.add(e);
            if (!signalledState) {
                signalledState = true;
                service.enqueue(this);
            }
        }

        @Override
        public synchronized boolean isValid() {
            return valid;
        }

        @Override
        public synchronized List<WatchEvent<?>> pollEvents() {
            List<WatchEvent<?>> out = List.copyOf(events);
            events.clear();
            lastModify.clear();
            return out;
        }

        @Override
        public synchronized boolean reset() {
            if (!valid) {
                return false;
            }
            if (signalledState) {
                if (events.isEmpty()) {
                    signalledState = false;
                } else {
                    service.enqueue(this);
                }
            }
            return true;
        }

        @Override
        public void cancel() {
            invalidate(false);
        }

        /** The key ends: its handle is closed through the filters (CLEANUP ends the base watch), once. */
        private void invalidate(boolean signal) {
            FileObject f;
            synchronized (this) {
                if (!valid) {
                    return;
                }
                valid = false;
                f = fo;
                if (signal && !signalledState) {
                    signalledState = true;
                    service.enqueue(this);
                }
            }
            service.keys.remove(dir.volumePath(), this);
            service.fs.close(f);
        }

        @Override
        public Watchable watchable() {
            return dir;
        }

        @Override
        public String toString() {
            return "WatchKey of " + dir;
        }
    }

    /** One event: its kind, the name (a relative path of the volume) and how many times it happened. */
    private static final class Event implements WatchEvent<Object> {
        private final WatchEvent.Kind<?> kind;
        private final Path context;
        private int count = 1;

        Event(WatchEvent.Kind<?> kind, Path context) {
            this.kind = kind;
            this.context = context;
        }

        @Override
        @SuppressWarnings("unchecked")
        public WatchEvent.Kind<Object> kind() {
            return (WatchEvent.Kind<Object>) kind;
        }

        @Override
        public int count() { // counted under its key's lock, and only until a poll hands it out
            return count;
        }

        @Override
        public Object context() {
            return context;
        }

        @Override
        public String toString() {
            return "Event[" + kind.name() + ", " + context + ", " + count + "]";
        }
    }
}
