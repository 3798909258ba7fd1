package dev.altitude.core;

import dev.altitude.core.context.ContextBlock;
import dev.altitude.core.rundown.Rundown;
import dev.altitude.core.rundown.StripedRundown;
import dev.altitude.core.rundown.Waits;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A volume: a backend file system with a stack of filter instances ordered by altitude.
 *
 * <p>{@link #perform} runs one operation: it takes the volume's I/O rundown once (striped), reads the stack (an
 * immutable array replaced on attach and detach) and hands the operation to {@link Dispatch}, which presents it
 * to the instances and the backend. The volume keeps the stack, its members (attaching, attached or tearing
 * down) and the streams behind stream contexts.
 */
public final class Volume {
    private static final Instance[] EMPTY = new Instance[0];

    private final FilterManager manager;
    private final String name;
    private final VolumeBackend backend;

    /** The instances operations are presented to, highest altitude first. Replaced, never changed. */
    private volatile Instance[] stack = EMPTY;
    /**
     * A bit ({@link MajorFunction#bit()}) for each major function some instance of the stack has a callback for: set
     * before an instance enters the stack, cleared after it has left, so it never misses an attached instance.
     */
    private volatile long filtered;
    /** Some instance attached sees opens but has no callback for QUERY_OPEN ({@link #queriesByName()}). */
    private volatile boolean blindToQueryOpen;
    /** Every instance whose name and altitude are taken here: attaching, attached or tearing down. */
    private final List<Instance> members = new ArrayList<>();

    /** Held by every operation; dismount waits for it. */
    final StripedRundown io = new StripedRundown();
    /** Held by every attach in progress; dismount waits for it before tearing instances down. */
    final Rundown attaches = new Rundown();
    /** Object references on the volume; dismount waits for them. */
    final HolderSet references = new HolderSet();
    /** Volume contexts, one per filter. */
    final Map<Object, ContextBlock> contexts = new ConcurrentHashMap<>();
    /** Open streams by path. */
    private final Map<String, Stream> streams = new ConcurrentHashMap<>();

    Volume(FilterManager manager, String name, VolumeBackend backend) {
        this.manager = manager;
        this.name = name;
        this.backend = backend;
    }

    public String name() {
        return name;
    }

    public String fileSystemType() {
        return backend.fileSystemType();
    }

    public FilterManager manager() {
        return manager;
    }

    /** What this volume presents to filters (its front end's {@link VolumeBackend#capabilities()}). */
    public VolumeCapabilities capabilities() {
        return backend.capabilities();
    }

    /** {@code FltGetVolumeProperties}: the block size and the non-cached alignment of the file system beneath. */
    public VolumeProperties properties() {
        return backend.properties();
    }

    /**
     * A read-only descriptor of {@code file} (an open file object of this volume), to lend to a client with
     * {@link Filter#sendMessage(ClientPort, byte[], int, java.time.Duration, LentFile)}: the file as the file system
     * below holds it, not as the filters above would show it. Errors as {@link NtStatusException}:
     * {@link NtStatus#NOT_SUPPORTED} where the volume has no descriptors, {@link NtStatus#FILE_IS_A_DIRECTORY}, or
     * the open's failure.
     */
    public LentFile lendFile(FileObject file) {
        return backend.lendFile(java.util.Objects.requireNonNull(file, "file"));
    }

    /** Does any instance attached now have a pre- or post-operation for {@code major}? */
    public boolean isFiltered(MajorFunction major) {
        return (filtered & major.bit()) != 0;
    }

    /**
     * Does any instance attached now have a callback for any of {@code majors} (bits of {@link MajorFunction#bit()})?
     * A front end asks it to take the base's own call for an operation no instance would see, as an operation under
     * way when an instance attaches is not presented to it either.
     */
    public boolean isFilteredAny(long majors) {
        return (filtered & majors) != 0;
    }

    /**
     * May a front end ask for a file's information by name in one {@link MajorFunction#QUERY_OPEN}? Yes when every
     * instance attached now that sees opens (has a callback for CREATE, QUERY_INFORMATION, CLEANUP or CLOSE) has
     * one for QUERY_OPEN too; otherwise the front end opens, queries and closes, so that each instance sees what it
     * registered for. Windows sends the query by name to every filter and leaves it to those that must see opens to
     * disallow it; here an instance that never heard of the operation is not bypassed by it.
     */
    public boolean queriesByName() {
        return !blindToQueryOpen;
    }

    private static final long OPENS = MajorFunction.CREATE.bit() | MajorFunction.QUERY_INFORMATION.bit()
            | MajorFunction.CLEANUP.bit() | MajorFunction.CLOSE.bit();

    /** Does one of {@code instances} see opens without a callback for QUERY_OPEN? */
    private static boolean blindToQueryOpen(Instance[] instances) {
        int q = MajorFunction.QUERY_OPEN.ordinal();
        for (Instance i : instances) {
            if ((callbacksOf(new Instance[] {i}) & OPENS) != 0 && i.pre[q] == null && i.post[q] == null) {
                return true;
            }
        }
        return false;
    }

    private static long callbacksOf(Instance[] instances) {
        long bits = 0;
        for (Instance i : instances) {
            for (MajorFunction m : MajorFunction.values()) {
                if (i.pre[m.ordinal()] != null || i.post[m.ordinal()] != null) {
                    bits |= m.bit();
                }
            }
        }
        return bits;
    }

    /**
     * Does any instance attached now filter {@code major} without skipping {@code flag}'s kind of I/O (a reader
     * that must see every read, not only page fills, has no {@link OperationFlag#SKIP_CACHED_IO})?
     */
    public boolean isFilteredWithout(MajorFunction major, OperationFlag flag) {
        return filteringWithout(major, flag) != null;
    }

    /** The name of the first instance attached now that filters {@code major} without skipping {@code flag}'s kind; null if none. */
    public String filteringWithout(MajorFunction major, OperationFlag flag) {
        for (Instance i : stack) {
            if ((i.pre[major.ordinal()] != null || i.post[major.ordinal()] != null)
                    && (i.skips[major.ordinal()] & flag.value()) == 0) {
                return i.name();
            }
        }
        return null;
    }

    private volatile java.util.function.Supplier<List<String>> dataBypass = List::of;

    /**
     * For a front end whose open files' data may travel past the filters (the FUSE front end's kernel passthrough
     * and page cache): what is open that way now, one line per file ({@code "/a/b: passthrough, …"}).
     */
    public void reportDataBypass(java.util.function.Supplier<List<String>> openFiles) {
        dataBypass = java.util.Objects.requireNonNull(openFiles);
    }

    /**
     * The files open now whose reads or writes do not all reach the filters, as the front end says (an instance
     * setup may ask; {@code fltmc volumes} shows them). They keep that path until they close: the kernel fixes an
     * open file's data path at its open.
     */
    public List<String> dataBypass() {
        return dataBypass.get();
    }

    /** After an attach: an instance that filters data is told of the files open past it, as a diagnostic. */
    void noteDataBypass(Instance inst) {
        int r = MajorFunction.READ.ordinal();
        int w = MajorFunction.WRITE.ordinal();
        if (inst.pre[r] == null && inst.post[r] == null && inst.pre[w] == null && inst.post[w] == null) {
            return;
        }
        List<String> open = dataBypass();
        if (!open.isEmpty()) {
            manager.diagnostics.report(Diagnostic.Kind.DATA_BYPASS, inst.filter().name(), "instance '" + inst.name()
                    + "' attached to " + name + " while " + open.size() + " file(s) are open with data that does not "
                    + "reach it until they close: " + String.join("; ", open));
        }
    }

    private volatile java.util.function.Supplier<List<String>> frontEndNotes = List::of;

    /**
     * For a front end with state an admin should see beside the volume (a fanotify volume's events answered at their
     * bound, the events pending now): one line each, shown by {@code fltmc volumes}.
     */
    public void reportFrontEnd(java.util.function.Supplier<List<String>> notes) {
        frontEndNotes = java.util.Objects.requireNonNull(notes);
    }

    /** What the front end says of itself now ({@link #reportFrontEnd}). */
    public List<String> frontEndNotes() {
        return frontEndNotes.get();
    }

    /** The attached instances, highest altitude first. */
    public List<Instance> instances() {
        return List.of(stack);
    }

    public boolean isMounted() {
        return !io.isRunDown();
    }

    /**
     * Runs one operation through the stack and the backend and returns its final status (also on
     * {@code data}). On a dismounted volume: {@link NtStatus#VOLUME_DISMOUNTED}.
     */
    public NtStatus perform(CallbackData data) {
        return perform(data, null);
    }

    /**
     * The one entry of an operation into the volume: from the top of the stack ({@code below} null), or, for
     * I/O a filter issues, from the first instance below {@code below}; then the backend.
     */
    NtStatus perform(CallbackData data, Instance below) {
        int held = io.acquire();
        if (held < 0) {
            data.complete(NtStatus.VOLUME_DISMOUNTED, 0);
            return data.status();
        }
        try {
            data.setVolume(this);
            Instance[] st = stack;
            Dispatch.run(this, data, st, firstBelow(st, below), false);
            if (data.majorFunction() == MajorFunction.CREATE) {
                reparse(data, below);
            } else if (data.majorFunction() == MajorFunction.CLOSE && data.fileObject() != null) {
                closeStream(data.fileObject());
            }
        } finally {
            io.release(held);
        }
        return data.status();
    }

    /** Where an operation enters the stack {@code st}: its top, or the first instance below {@code below}. */
    private static int firstBelow(Instance[] st, Instance below) {
        int from = 0;
        if (below != null) {
            while (from < st.length && st[from].altitude().compareTo(below.altitude()) >= 0) {
                from++;
            }
        }
        return from;
    }

    /** How often one open may be redirected ({@link CallbackData#replaceFileName}) before it fails. */
    public static final int MAX_REPARSES = 32;

    /**
     * An open a pre-create completed with {@link NtStatus#REPARSE} after giving it a new name goes down the stack
     * again (from the top, or from below the instance that issued it), as the I/O manager sends a reparsed open
     * again; beyond {@link #MAX_REPARSES}, a reparse with no new name, or one on a volume that cannot redirect
     * ({@link VolumeCapabilities#redirects()}: the kernel opens what the process named), it fails with
     * {@link NtStatus#REPARSE_POINT_NOT_RESOLVED}.
     */
    private void reparse(CallbackData data, Instance below) {
        for (int reparses = 0; data.status().equals(NtStatus.REPARSE); ) {
            if (!data.takeRenamed() || ++reparses > MAX_REPARSES || !capabilities().redirects()) {
                data.complete(NtStatus.REPARSE_POINT_NOT_RESOLVED, 0);
                return;
            }
            data.reissue();
            Instance[] st = stack;
            Dispatch.run(this, data, st, firstBelow(st, below), false);
        }
        data.takeRenamed();
    }

    /**
     * An operation the file system has already carried out and reports only now (fanotify's notifications of
     * creates, deletes, renames, closes after a write): the post-operation of every instance that has one for its
     * major function runs, from the lowest altitude up, with no pre-operation before it and no backend call. The
     * front end sets the status first ({@link CallbackData#complete}); it is what the post-operations see and what
     * this returns. An instance tearing down is skipped, as for any operation it has not entered.
     */
    public NtStatus completed(CallbackData data) {
        int held = io.acquire();
        if (held < 0) {
            return NtStatus.VOLUME_DISMOUNTED;
        }
        try {
            data.setVolume(this);
            Dispatch.run(this, data, stack, 0, true);
            if (data.majorFunction() == MajorFunction.CLOSE && data.fileObject() != null) {
                closeStream(data.fileObject());
            }
        } finally {
            io.release(held);
        }
        return data.status();
    }

    /** {@code FltObjectReference(volume)}: a dismount waits until it is closed. */
    public ObjectReference reference() {
        Holder h = new Holder(HolderKind.OBJECT_REFERENCE, null, "reference on volume " + name, false);
        if (!references.tryAdd(h)) {
            throw new NtStatusException(NtStatus.FLT_DELETING_OBJECT, "volume " + name + " is dismounting");
        }
        return new ObjectReference(references, h, null);
    }

    // ---- streams: the identity behind stream and stream-handle contexts ----------------------------

    private void openStream(FileObject fo) {
        if (fo == null || fo.stream() != null) {
            return;
        }
        Stream s = streams.compute(fo.path(), (path, cur) -> {
            Stream st = cur != null ? cur : new Stream(path);
            st.opens++;
            return st;
        });
        fo.bind(s);
    }

    /** CLOSE of a file object: its stream-handle contexts go; the stream's go with the last close. */
    private void closeStream(FileObject fo) {
        Stream s = fo.stream();
        if (s == null) {
            return;
        }
        fo.bind(null);
        Contexts.unlinkAll(fo.contexts);
        boolean[] last = new boolean[1];
        streams.computeIfPresent(s.path, (path, cur) -> {
            if (cur != s) {
                return cur;
            }
            if (--cur.opens == 0) {
                last[0] = true;
                return null;
            }
            return cur;
        });
        if (last[0]) {
            Contexts.unlinkAll(s.contexts);
        }
    }

    /** The backend's part of an operation; a successful CREATE opens (or joins) the file's stream. */
    void callBackend(CallbackData data) {
        try {
            backend.perform(data);
            if (data.majorFunction() == MajorFunction.CREATE && data.status().isSuccess()) {
                openStream(data.fileObject());
            }
        } catch (NtStatusException e) {
            data.complete(e.status(), 0);
        } catch (RuntimeException e) {
            System.getLogger("dev.altitude.core").log(System.Logger.Level.WARNING,
                    "backend of volume " + name + " failed on " + data, e);
            data.complete(NtStatus.UNEXPECTED_IO_ERROR, 0);
        }
    }

    // ---- membership and the stack (attach, detach, teardown) -----------------------------------

    /**
     * Reserves the instance's name and altitude; the status says which one collides. An explicit
     * altitude collides with {@link NtStatus#FLT_INSTANCE_ALTITUDE_COLLISION}, the default (registry)
     * altitude with {@link NtStatus#OBJECT_NAME_COLLISION}.
     */
    synchronized NtStatus reserve(Instance inst, boolean explicitAltitude) {
        for (Instance m : members) {
            if (m.name().equals(inst.name())) {
                return NtStatus.FLT_INSTANCE_NAME_COLLISION;
            }
        }
        for (Instance m : members) {
            if (m.altitude().equals(inst.altitude())) {
                return explicitAltitude ? NtStatus.FLT_INSTANCE_ALTITUDE_COLLISION : NtStatus.OBJECT_NAME_COLLISION;
            }
        }
        members.add(inst);
        return NtStatus.SUCCESS;
    }

    /** Puts a reserved instance into the stack, in altitude order. */
    synchronized void insertIntoStack(Instance inst) {
        Instance[] next = Arrays.copyOf(stack, stack.length + 1);
        int i = next.length - 1;
        while (i > 0 && next[i - 1].altitude().compareTo(inst.altitude()) < 0) {
            next[i] = next[i - 1];
            i--;
        }
        next[i] = inst;
        filtered = callbacksOf(next);
        blindToQueryOpen = blindToQueryOpen(next);
        stack = next;
    }

    synchronized void removeFromStack(Instance inst) {
        Instance[] cur = stack;
        for (int i = 0; i < cur.length; i++) {
            if (cur[i] == inst) {
                Instance[] next = new Instance[cur.length - 1];
                System.arraycopy(cur, 0, next, 0, i);
                System.arraycopy(cur, i + 1, next, i, cur.length - i - 1);
                stack = next;
                filtered = callbacksOf(next);
                blindToQueryOpen = blindToQueryOpen(next);
                return;
            }
        }
    }

    /** Frees the instance's name and altitude (after its teardown, or a refused attach). */
    synchronized void forget(Instance inst) {
        members.remove(inst);
    }

    synchronized List<Instance> members() {
        return List.copyOf(members);
    }

    /**
     * Dismount: no new attach and no new operation; every instance torn down with
     * {@link TeardownReason#VOLUME_DISMOUNT}; the operations still in the backend finish; the backend closes.
     */
    void dismount() {
        attaches.awaitRelease();
        io.beginRundown();
        Teardown.of(members(), TeardownReason.VOLUME_DISMOUNT).run();
        Contexts.unlinkAll(contexts);
        io.awaitRelease();
        Waits.watched(references::awaitRelease, manager.unloadWarningMillis(),
                () -> manager.diagnostics.report(Diagnostic.Kind.WAITING, "volume " + name, "dismount of " + name
                        + " waits for " + references.size() + " object reference(s) on the volume: "
                        + references.snapshot().stream().map(h -> h.detail).toList()));
        backend.close();
    }

    @Override
    public String toString() {
        return "Volume[" + name + "]";
    }
}
