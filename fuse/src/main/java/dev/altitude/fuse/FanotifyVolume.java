package dev.altitude.fuse;

import dev.altitude.core.CallbackData;
import dev.altitude.core.FileObject;
import dev.altitude.core.FilterManager;
import dev.altitude.core.IoParameters;
import dev.altitude.core.IoParameters.Access;
import dev.altitude.core.IoParameters.CreateDisposition;
import dev.altitude.core.IoParameters.FileKind;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.Requestor;
import dev.altitude.core.Volume;
import dev.altitude.core.VolumeCapabilities;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real, mounted file system as a volume, seen through fanotify: filters decide on its opens, executions and reads
 * before they happen and are told of its changes afterwards. Two fanotify groups: a permission group (pre-content
 * class where the kernel has it) whose events are operations through the volume's stack and are answered with the
 * operation's status, and a notification group (file handles and names) whose events are post-operations with no
 * pre-operation ({@link Volume#completed}).
 *
 * <ul>
 *   <li>{@code FAN_OPEN_PERM} is a {@code CREATE} (disposition OPEN; the kernel does not say the open's mode, so the
 *   access is READ_DATA), {@code FAN_OPEN_EXEC_PERM} the same with {@link Access#EXECUTE}; the operation runs through
 *   every instance and its post-operations before the answer, so a scanner's post-create (reading the file through
 *   the event's descriptor) decides; the event's file object then ends with a post-only {@code CLOSE}.</li>
 *   <li>{@code FAN_PRE_ACCESS} (or {@code FAN_ACCESS_PERM} where the file system has no pre-content events) is a
 *   {@code READ} of the range the kernel gives; the kernel does the read after the answer, so the read carries no
 *   data; a filter may fill the file's content first (a {@code WRITE} below itself on the read's file object).</li>
 *   <li>A failure status is a denial: {@code FAN_DENY_ERRNO} with the status's errno where the kernel accepts it
 *   (EPERM, EIO, EBUSY, ETXTBSY, EAGAIN, ENOSPC, EDQUOT, in a pre-content group), else {@code FAN_DENY} (EPERM).</li>
 * </ul>
 *
 * <p>Never wedging the machine: every permission event is answered within {@link Options#answerWithin} (the
 * watchdog answers an event still pending then with {@link Options#onExpiry}, counts it, and keeps the last ones for
 * {@code fltmc volumes}); one reader at a time reads and handles events on its own thread, and a reader busy past
 * {@link #HAND_OFF_NANOS} gives the reading to another, so a filter that waits does not hold up other events. The
 * daemon opens nothing on the watched file system but what it needs to name a notification's directory
 * ({@code open_by_handle_at} with {@code O_PATH}) and, for a filter that fills content, a writable reopen of the
 * event's file (its own events are allowed at once). Closing answers every pending event and closes the groups (the
 * kernel allows whatever is left).
 */
public final class FanotifyVolume implements AutoCloseable {
    /** Which part of the system a volume covers: the whole file system holding the path, or only that mount. */
    public enum Scope { FILESYSTEM, MOUNT }

    /** The answer the watchdog gives an event still pending at the bound. */
    public enum OnExpiry { ALLOW, DENY }

    /** How a real volume is watched. */
    public record Options(Scope scope, Duration answerWithin, OnExpiry onExpiry) {
        public static final Options DEFAULT = new Options(Scope.FILESYSTEM, Duration.ofSeconds(5), OnExpiry.ALLOW);

        public Options {
            if (answerWithin.isNegative() || answerWithin.isZero()) {
                throw new IllegalArgumentException("the bound for an answer must be more than zero");
            }
        }
    }

    /** What a fanotify volume can do, beside a FUSE or NIO volume's {@link VolumeCapabilities#FULL}. */
    static VolumeCapabilities capabilities(boolean preContent) {
        return new VolumeCapabilities(EnumSet.of(MajorFunction.CREATE, MajorFunction.READ),
                EnumSet.of(MajorFunction.CREATE, MajorFunction.WRITE, MajorFunction.SET_INFORMATION, MajorFunction.CLEANUP,
                        MajorFunction.CLOSE), false, false, preContent);
    }

    /** A reader busy this long with its events gives the reading to another. */
    static final long HAND_OFF_NANOS = 5_000_000;
    private static final int MAX_READERS = 64;
    private static final long PERMISSION_EVENTS = Fanotify.FAN_OPEN_PERM | Fanotify.FAN_OPEN_EXEC_PERM;
    /** The errnos the kernel takes in {@code FAN_DENY_ERRNO} (fs/notify/fanotify/fanotify_user.c, 6.14+). */
    private static final Set<Integer> DENY_ERRNOS = Set.of(Errnos.EPERM, Errnos.EIO, Errnos.EBUSY, Errnos.ETXTBSY,
            Errnos.EAGAIN, Errnos.ENOSPC, Errnos.EDQUOT);
    private static final IoParameters.Create OPEN = new IoParameters.Create(Set.of(Access.READ_DATA), CreateDisposition.OPEN,
            Set.of(), FileKind.FILE, null, null);
    private static final IoParameters.Create EXEC_OPEN = new IoParameters.Create(Set.of(Access.READ_DATA, Access.EXECUTE),
            CreateDisposition.OPEN, Set.of(), FileKind.FILE, null, null);
    private static final ByteBuffer NO_DATA = ByteBuffer.allocate(0).asReadOnlyBuffer();
    /** What a read event's buffer is a view of: as long as the range (up to 1 MiB), zeros, read-only. */
    private static final ByteBuffer RANGE = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

    /**
     * A read event's buffer: its remaining bytes are the range's length (at most 1 MiB), its content zeros: the kernel
     * reads after the answer, so there is no data to see or change.
     */
    private static ByteBuffer range(long count) {
        return count <= 0 ? NO_DATA : RANGE.duplicate().limit((int) Math.min(count, RANGE.capacity()));
    }

    private final FilterManager manager;
    private final Volume volume;
    private final Options options;
    private final String root;
    private final String fsType;
    private final boolean preContent;
    private final boolean preAccess;
    private final int permFd;
    private final int notifyFd;
    private final int wakeFd;
    private final int mountFd;
    private final int wakeFile;
    private final long ownPid = ProcessHandle.current().pid();
    private final String notifyMode;

    private volatile boolean closed;
    private final Semaphore readPermit = new Semaphore(0);
    private final AtomicReference<Lead> leader = new AtomicReference<>();
    private final ConcurrentLinkedQueue<Pending> backlog = new ConcurrentLinkedQueue<>();
    private final Set<Pending> pending = ConcurrentHashMap.newKeySet();
    private final Set<Thread> readers = ConcurrentHashMap.newKeySet();
    private final AtomicInteger idleReaders = new AtomicInteger();
    private final Thread watchdog;
    private final Thread notifier;
    /** The files of the events in flight, by volume path: what a filter's own open of that path gets. */
    private final ConcurrentHashMap<String, FanotifyBackend.EventFile> inFlight = new ConcurrentHashMap<>();

    private final AtomicLong events = new AtomicLong();
    private final AtomicLong denied = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    private final AtomicLong notifications = new AtomicLong();
    private final AtomicLong overflows = new AtomicLong();
    private final ConcurrentLinkedQueue<String> lastExpired = new ConcurrentLinkedQueue<>();

    private FanotifyVolume(FilterManager manager, String name, Path path, Options options) throws IOException {
        this.manager = manager;
        this.options = options;
        this.root = path.toAbsolutePath().normalize().toString();
        this.fsType = mountType(root);
        int flags = Fanotify.FAN_CLOEXEC; // blocking reads: one call per event; the close wakes them by an event of its own
        int eventFlags = Libc.O_LARGEFILE | Libc.O_CLOEXEC; // O_RDONLY: a writable event descriptor would stop an exec (ETXTBSY)
        int perm;
        boolean pre = true;
        try {
            perm = Libc.fanotifyInit(flags | Fanotify.FAN_CLASS_PRE_CONTENT, eventFlags);
        } catch (Libc.Errno e) {
            if (e.errno() == Errnos.EPERM) {
                throw new IOException("fanotify needs CAP_SYS_ADMIN (run the daemon as root): " + e.getMessage(), e);
            }
            pre = false;
            perm = Libc.fanotifyInit(flags | Fanotify.FAN_CLASS_CONTENT, eventFlags);
        }
        int markScope = options.scope() == Scope.MOUNT ? Fanotify.FAN_MARK_MOUNT : Fanotify.FAN_MARK_FILESYSTEM;
        boolean access = false;
        int notify = -1;
        int wake = -1;
        int mount = -1;
        int wakeFile = -1;
        String mode;
        try {
            // the close's wake-up: an inode mark on a file of this daemon's own (unlinked once marked, kept by an
            // O_PATH descriptor), whose reopen is a permission event that a reader blocked in read(2) returns with
            Path wakePath = Files.createTempFile("altitude-fanotify-wake", "");
            try {
                wakeFile = Libc.open(wakePath.toString(), Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
                Libc.fanotifyMark(perm, Fanotify.FAN_MARK_ADD, Fanotify.FAN_OPEN_PERM, wakePath.toString());
            } finally {
                Files.deleteIfExists(wakePath);
            }
            // before the marks: an open of the watched file system afterwards would wait for this daemon's own answer
            // (open_by_handle_at takes no O_PATH descriptor)
            mount = Libc.open(root, Libc.O_DIRECTORY | Libc.O_CLOEXEC);
            if (pre) {
                try {
                    Libc.fanotifyMark(perm, Fanotify.FAN_MARK_ADD | markScope, PERMISSION_EVENTS | Fanotify.FAN_PRE_ACCESS, root);
                    access = true;
                } catch (Libc.Errno e) { // the file system has no pre-content events (tmpfs): access checks instead
                    access = false;
                }
            }
            if (!access) {
                Libc.fanotifyMark(perm, Fanotify.FAN_MARK_ADD | markScope, PERMISSION_EVENTS | Fanotify.FAN_ACCESS_PERM, root);
            }
            wake = Libc.eventfd(Libc.EFD_CLOEXEC);
            int[] nfd = new int[1];
            mode = notificationGroup(root, markScope, nfd);
            notify = nfd[0];
        } catch (IOException | RuntimeException e) {
            Libc.close(perm);
            closeIf(wake);
            closeIf(mount);
            closeIf(wakeFile);
            throw e;
        }
        this.wakeFile = wakeFile;
        this.permFd = perm;
        this.preContent = pre;
        this.preAccess = access;
        this.notifyFd = notify;
        this.wakeFd = wake;
        this.mountFd = mount;
        this.notifyMode = mode;
        this.volume = manager.mountVolume(name, new FanotifyBackend(inFlight, fsType, access));
        volume.reportFrontEnd(this::notes);
        this.watchdog = Thread.ofPlatform().daemon().name("altitude-fanotify-watchdog " + name).start(this::watch);
        this.notifier = notify < 0 ? null : Thread.ofPlatform().daemon().name("altitude-fanotify-notify " + name).start(this::notifyLoop);
        startReader();
        startReader();
        readPermit.release();
    }

    /**
     * Watches the file system holding {@code path} (or, with {@link Scope#MOUNT}, only that mount) as the volume
     * {@code name} of {@code manager}. Needs CAP_SYS_ADMIN and a kernel with fanotify permission events.
     */
    public static FanotifyVolume watch(FilterManager manager, String name, Path path, Options options) throws IOException {
        if (!Files.isDirectory(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(path + " is not a directory");
        }
        return new FanotifyVolume(manager, name, path, options);
    }

    /**
     * Why this process cannot watch a real volume, or null if it can: a permission group must be made (root, and a
     * kernel with CONFIG_FANOTIFY_ACCESS_PERMISSIONS).
     */
    public static String unavailableReason() {
        try {
            Libc.close(Libc.fanotifyInit(Fanotify.FAN_CLOEXEC | Fanotify.FAN_CLASS_CONTENT, Libc.O_LARGEFILE | Libc.O_CLOEXEC));
            return null;
        } catch (Libc.Errno e) {
            return e.errno() == Errnos.EPERM ? "fanotify permission groups need CAP_SYS_ADMIN (root)"
                    : "the kernel refuses fanotify permission groups (" + e.getMessage() + "; CONFIG_FANOTIFY_ACCESS_PERMISSIONS?)";
        } catch (RuntimeException | LinkageError e) {
            return "no fanotify here: " + e;
        }
    }

    /** The notification group, trying the whole set of events, then what a mount mark allows; its mode in words. */
    private static String notificationGroup(String root, int markScope, int[] fd) throws Libc.Errno {
        int flags = Fanotify.FAN_CLOEXEC | Fanotify.FAN_NONBLOCK | Fanotify.FAN_CLASS_NOTIF | Fanotify.FAN_REPORT_FID
                | Fanotify.FAN_REPORT_DIR_FID | Fanotify.FAN_REPORT_NAME;
        int n;
        try { // with the entry's own handle too, so a directory's name outlives the directory (see entryPath)
            n = Libc.fanotifyInit(flags | Fanotify.FAN_REPORT_TARGET_FID, Libc.O_LARGEFILE | Libc.O_CLOEXEC);
        } catch (Libc.Errno e) {
            n = Libc.fanotifyInit(flags, Libc.O_LARGEFILE | Libc.O_CLOEXEC);
        }
        long all = Fanotify.FAN_CREATE | Fanotify.FAN_DELETE | Fanotify.FAN_RENAME | Fanotify.FAN_CLOSE_WRITE
                | Fanotify.FAN_MODIFY | Fanotify.FAN_ATTRIB | Fanotify.FAN_ONDIR;
        try {
            Libc.fanotifyMark(n, Fanotify.FAN_MARK_ADD | markScope, all, root);
            fd[0] = n;
            return "create, delete, rename, attributes, modify, close after write";
        } catch (Libc.Errno e) {
            // a mount mark has no directory-entry events
        }
        try {
            Libc.fanotifyMark(n, Fanotify.FAN_MARK_ADD | markScope, Fanotify.FAN_CLOSE_WRITE | Fanotify.FAN_MODIFY, root);
            fd[0] = n;
            return "modify, close after write (a mount mark reports no creates, deletes or renames)";
        } catch (Libc.Errno e) {
            Libc.close(n);
            fd[0] = -1;
            return "none (" + e.getMessage() + ")";
        }
    }

    public Volume volume() {
        return volume;
    }

    /** Permission events answered at their bound by the watchdog. */
    public long expiredAnswers() {
        return expired.get();
    }

    /** Permission events handled, and of those denied. */
    public long permissionEvents() {
        return events.get();
    }

    public long deniedEvents() {
        return denied.get();
    }

    /** Notifications presented as post-operations. */
    public long notifications() {
        return notifications.get();
    }

    /** The permission events pending now, oldest first, one line each. */
    public List<String> pendingEvents() {
        long now = System.nanoTime();
        return pending.stream().sorted(java.util.Comparator.comparingLong((Pending p) -> p.since))
                .map(p -> p.describe(now)).toList();
    }

    private List<String> notes() {
        List<String> out = new ArrayList<>();
        out.add("fanotify " + (options.scope() == Scope.MOUNT ? "mount" : "file system") + " " + root + ": "
                + (preAccess ? "pre-content reads" : "access checks") + ", answer within " + options.answerWithin().toMillis()
                + " ms or " + options.onExpiry().name().toLowerCase(java.util.Locale.ROOT) + "; events " + events.get() + ", denied "
                + denied.get() + ", answered at the bound " + expired.get() + "; notifications " + notifications.get()
                + " (" + notifyMode + ")" + (overflows.get() > 0 ? ", lost to overflow " + overflows.get() : ""));
        for (String p : pendingEvents()) {
            out.add("pending: " + p);
        }
        for (String e : lastExpired) {
            out.add("answered at the bound: " + e);
        }
        return out;
    }

    // ---- readers ----------------------------------------------------------------------------------------------

    /** The reader that reads now; {@code busySince} is when it began handling its events (0 while it reads). */
    private static final class Lead {
        final Thread thread = Thread.currentThread();
        volatile long busySince;
    }

    private void startReader() {
        if (readers.size() >= MAX_READERS || closed) {
            return;
        }
        Thread t = Thread.ofPlatform().daemon().name("altitude-fanotify " + volume.name()).unstarted(this::readLoop);
        readers.add(t);
        t.start();
    }

    /** Follows until it may read, then reads and handles events until the watchdog gives the reading to another. */
    private void readLoop() {
        Reading r = new Reading(permFd, wakeFd);
        try (r) {
            while (!closed) {
                idleReaders.incrementAndGet();
                try {
                    readPermit.acquireUninterruptibly();
                } finally {
                    idleReaders.decrementAndGet();
                }
                if (closed) {
                    break;
                }
                Lead me = new Lead();
                leader.set(me);
                while (!closed && leader.get() == me) {
                    Pending p = backlog.poll();
                    if (p == null) {
                        readBatch(r);
                        continue;
                    }
                    me.busySince = System.nanoTime();
                    try {
                        handle(p, r);
                    } finally {
                        me.busySince = 0;
                    }
                }
                if (idleReaders.get() >= 2 && !closed) {
                    break; // enough followers already: this one leaves
                }
            }
        } finally {
            readers.remove(Thread.currentThread());
        }
    }

    /** Per reader: its buffers, and the errno segment of its calls. */
    private static final class Reading implements AutoCloseable {
        final Arena arena = Arena.ofShared();
        final MemorySegment events = arena.allocate(16384, 8);
        final MemorySegment polls = arena.allocate(Libc.POLLFD, 2);
        final MemorySegment errno = Libc.errnoSegment(arena);
        final MemorySegment link = arena.allocate(4096);
        final MemorySegment name = arena.allocate(64);
        final MemorySegment handle = arena.allocate(256, 8);
        final MemorySegment status = arena.allocate(1024);
        final MemorySegment statx = arena.allocate(Libc.STATX);
        final MemorySegment response = arena.allocate(Fanotify.RESPONSE);

        /** A reader of {@code fd}: the poll set (used by the notifier) is {@code fd} and the close's wake-up. */
        Reading(int fd, int wakeFd) {
            polls.set(ValueLayout.JAVA_INT, 0, fd);
            polls.set(ValueLayout.JAVA_SHORT, 4, Libc.POLLIN);
            polls.set(ValueLayout.JAVA_INT, 8, wakeFd);
            polls.set(ValueLayout.JAVA_SHORT, 12, Libc.POLLIN);
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    /** Reads what came, waiting for it (one blocking read; the close wakes it with an event of its own). */
    private void readBatch(Reading r) {
        long n;
        try {
            n = Libc.read(permFd, r.events, r.errno);
        } catch (Libc.Errno e) {
            if (e.errno() != Errnos.EINTR) {
                log("reading permission events: " + e.getMessage());
            }
            return;
        }
        long now = System.nanoTime();
        for (Fanotify.Event e : Fanotify.parse(r.events, n)) {
            if (e.fd() < 0) {
                continue; // FAN_NOFD: nothing to answer
            }
            Pending p = new Pending(e, now);
            pending.add(p); // the watchdog's from now on
            backlog.add(p);
        }
    }

    // ---- one permission event -----------------------------------------------------------------------------------

    /** A permission event from its read to its answer. */
    private final class Pending {
        final Fanotify.Event event;
        final long since;
        final AtomicBoolean answered = new AtomicBoolean();
        volatile Thread handler;
        volatile String path;

        Pending(Fanotify.Event event, long since) {
            this.event = event;
            this.since = since;
        }

        String kind() {
            long m = event.mask();
            return (m & Fanotify.FAN_OPEN_EXEC_PERM) != 0 ? "exec" : (m & Fanotify.FAN_OPEN_PERM) != 0 ? "open"
                    : (m & Fanotify.FAN_PRE_ACCESS) != 0 ? "read " + event.offset() + "+" + event.count() : "read";
        }

        String describe(long now) {
            Thread h = handler;
            return kind() + " of " + (path == null ? "fd " + event.fd() : path) + " by pid " + event.pid() + ", "
                    + (now - since) / 1_000_000 + " ms" + (h == null ? ", not yet taken" : ", on " + h.getName());
        }
    }

    /** Answers once; whoever answers first (the handler or the watchdog) wins. */
    private boolean answer(Pending p, int response, MemorySegment buf, MemorySegment errno) {
        return answer(p, response, buf, errno, null);
    }

    /**
     * Answers once; whoever answers first (the handler or the watchdog) wins. What the answer changes in the counts
     * (and {@code accounted}, the watchdog's record) is done before the kernel hears it: the process it lets go may
     * look at once.
     */
    private boolean answer(Pending p, int response, MemorySegment buf, MemorySegment errno, Runnable accounted) {
        if (!p.answered.compareAndSet(false, true)) {
            return false;
        }
        pending.remove(p);
        if ((response & Fanotify.FAN_DENY) != 0) {
            denied.incrementAndGet();
        }
        if (accounted != null) {
            accounted.run();
        }
        synchronized (p) {
            buf.set(ValueLayout.JAVA_INT, 0, p.event.fd());
            buf.set(ValueLayout.JAVA_INT, 4, response);
            try {
                Libc.write(permFd, buf, Fanotify.RESPONSE.byteSize(), errno);
            } catch (Libc.Errno e) {
                log("answering " + p.describe(System.nanoTime()) + ": " + e.getMessage());
            }
        }
        return true;
    }

    private void handle(Pending p, Reading r) {
        p.handler = Thread.currentThread();
        Fanotify.Event e = p.event;
        events.incrementAndGet();
        if (p.answered.get()) { // the watchdog answered it while it waited in the backlog: nothing is left to decide
            pending.remove(p);
            Libc.close(e.fd());
            return;
        }
        FanotifyBackend.EventFile file = null;
        int response = policy();
        try {
            if (e.pid() == ownPid) {
                response = Fanotify.FAN_ALLOW; // the daemon's own reopen for a filter that fills content
                return;
            }
            String path = volumePath(pathOf(e.fd(), r));
            p.path = path;
            file = new FanotifyBackend.EventFile(e.fd(), path, this::handOffSelf);
            inFlight.put(path, file);
            Requestor who = requestor(e.pid(), r);
            response = (e.mask() & PERMISSION_EVENTS) != 0 ? open(p, file, who, r) : read(p, file, who);
        } catch (RuntimeException | Error x) {
            log("handling " + p.describe(System.nanoTime()) + ": " + x);
        } finally {
            answer(p, response, r.response, r.errno);
            pending.remove(p);
            if (file != null) {
                inFlight.remove(file.path, file);
                file.release();
            } else {
                Libc.close(e.fd());
            }
        }
    }

    /** An open: a CREATE through the stack and its post-operations, answered, then the event's file object closed. */
    private int open(Pending p, FanotifyBackend.EventFile file, Requestor who, Reading r) {
        boolean exec = (p.event.mask() & Fanotify.FAN_OPEN_EXEC_PERM) != 0;
        FileObject fo = new FileObject(file.path);
        FanotifyBackend.Handle h = new FanotifyBackend.Handle(file);
        fo.setBackendHandle(h);
        CallbackData d = new CallbackData(fo, exec ? EXEC_OPEN : OPEN, who);
        NtStatus s = volume.perform(d);
        if (s.isFailure()) {
            h.close();
            return deny(s);
        }
        answer(p, Fanotify.FAN_ALLOW, r.response, r.errno);
        // the daemon's file object of the event ends here (its contexts with it); the process's own handle lives on,
        // and a CLEANUP is what the kernel reports when a process closes a file it wrote
        CallbackData close = new CallbackData(fo, new IoParameters.Close(), who);
        close.complete(NtStatus.SUCCESS, 0);
        volume.completed(close);
        h.close();
        return Fanotify.FAN_ALLOW;
    }

    /** A read: a READ of the kernel's range through the stack; the kernel reads after the answer. */
    private int read(Pending p, FanotifyBackend.EventFile file, Requestor who) {
        FileObject fo = new FileObject(file.path);
        FanotifyBackend.Handle h = new FanotifyBackend.Handle(file);
        fo.setBackendHandle(h);
        long count = p.event.count();
        IoParameters.Read params = new IoParameters.Read(p.event.offset(), range(count));
        CallbackData d = new CallbackData(fo, params, who);
        h.eventRead = d;
        h.eventCount = count;
        try {
            NtStatus s = volume.perform(d);
            return s.isFailure() ? deny(s) : Fanotify.FAN_ALLOW;
        } finally {
            h.close();
        }
    }

    private int deny(NtStatus s) {
        int errno = Errnos.toErrno(s);
        return Fanotify.deny(preContent && DENY_ERRNOS.contains(errno) ? errno : 0);
    }

    private int policy() {
        return options.onExpiry() == OnExpiry.ALLOW ? Fanotify.FAN_ALLOW : Fanotify.FAN_DENY;
    }

    // ---- the watchdog -------------------------------------------------------------------------------------------

    private void watch() {
        long bound = options.answerWithin().toNanos();
        long tick = Math.max(1_000_000L, Math.min(bound / 4, 10_000_000L));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Fanotify.RESPONSE);
            MemorySegment errno = Libc.errnoSegment(a);
            while (!closed) {
                java.util.concurrent.locks.LockSupport.parkNanos(tick);
                long now = System.nanoTime();
                for (Pending p : pending) {
                    if (!p.answered.get() && now - p.since > bound) {
                        answer(p, policy(), buf, errno, () -> expiredAt(p, now));
                    }
                }
                Lead l = leader.get();
                if (l != null) {
                    long busy = l.busySince;
                    if (busy != 0 && now - busy > HAND_OFF_NANOS) {
                        handOff(l);
                    }
                }
            }
        }
    }

    /** The watchdog's record of an event it answered at the bound: counted, kept for fltmc volumes, logged, a JFR event. */
    private void expiredAt(Pending p, long now) {
        expired.incrementAndGet();
        lastExpired.add(p.describe(now));
        while (lastExpired.size() > 8) {
            lastExpired.poll();
        }
        log("answered at the bound (" + options.onExpiry() + "): " + p.describe(now));
        PermissionExpiredEvent event = new PermissionExpiredEvent();
        if (event.shouldCommit()) {
            event.volume = volume.name();
            event.event = p.describe(now);
            event.answer = options.onExpiry().name();
            event.commit();
        }
    }

    /** Gives the reading to another reader (started if none waits): the lead's thread is busy for a while. */
    private void handOff(Lead l) {
        if (leader.compareAndSet(l, null)) {
            if (idleReaders.get() == 0) {
                startReader();
            }
            readPermit.release();
        }
    }

    /** Before the calling reader blocks on something only another reader can answer (its own reopen). */
    private void handOffSelf() {
        Lead l = leader.get();
        if (l != null && l.thread == Thread.currentThread()) {
            handOff(l);
        }
    }

    // ---- notifications ------------------------------------------------------------------------------------------

    private void notifyLoop() {
        try (Reading r = new Reading(notifyFd, wakeFd)) {
            while (!closed) {
                long n;
                try {
                    Libc.poll(r.polls, -1);
                    n = Libc.read(notifyFd, r.events, r.errno);
                } catch (Libc.Errno e) {
                    continue; // EINTR, or EAGAIN after the close's wake-up
                }
                for (Fanotify.Event e : Fanotify.parse(r.events, n)) {
                    try {
                        notification(e, r);
                    } catch (RuntimeException x) {
                        log("notification " + Long.toHexString(e.mask()) + ": " + x);
                    }
                }
            }
        }
    }

    /** One notification as the post-operations of what happened, in the order it can have happened. */
    private void notification(Fanotify.Event e, Reading r) {
        long m = e.mask();
        if ((m & Fanotify.FAN_Q_OVERFLOW) != 0) {
            overflows.incrementAndGet();
            return;
        }
        Requestor who = e.pid() > 0 ? requestor(e.pid(), r) : Requestor.UNKNOWN;
        boolean dir = (m & Fanotify.FAN_ONDIR) != 0;
        Fanotify.DirEntry self = e.entry(Fanotify.FAN_EVENT_INFO_TYPE_FID); // the entry's own handle (FAN_REPORT_TARGET_FID)
        if ((m & Fanotify.FAN_RENAME) != 0) {
            String from = entryPath(e.entry(Fanotify.FAN_EVENT_INFO_TYPE_OLD_DFID_NAME), r);
            String to = entryPath(e.entry(Fanotify.FAN_EVENT_INFO_TYPE_NEW_DFID_NAME), r);
            if (dir && self != null && to != null) {
                names.put(key(self.handle()), to);
            }
            if (from != null && to != null) {
                post(from, new IoParameters.SetInformation(new IoParameters.FileInformation.Rename(to, true)), who);
            }
        }
        String path = entryPath(e.entry(Fanotify.FAN_EVENT_INFO_TYPE_DFID_NAME), r);
        if (path == null) {
            return;
        }
        if ((m & Fanotify.FAN_CREATE) != 0 && dir && self != null) {
            names.put(key(self.handle()), path);
        }
        if ((m & Fanotify.FAN_CREATE) != 0) {
            post(path, new IoParameters.Create(Set.of(), CreateDisposition.CREATE, Set.of(), dir ? FileKind.DIRECTORY : FileKind.FILE,
                    null, null), who);
        }
        if ((m & Fanotify.FAN_MODIFY) != 0) {
            post(path, new IoParameters.Write(IoParameters.Write.APPEND, NO_DATA), who);
        }
        if ((m & Fanotify.FAN_ATTRIB) != 0) {
            post(path, new IoParameters.SetInformation(new IoParameters.FileInformation.Basic(null, null, null, null)), who);
        }
        if ((m & Fanotify.FAN_CLOSE_WRITE) != 0) {
            post(path, new IoParameters.Cleanup(), who);
        }
        if ((m & Fanotify.FAN_DELETE) != 0) {
            post(path, new IoParameters.SetInformation(new IoParameters.FileInformation.Disposition(true)), who);
        }
    }

    private void post(String path, IoParameters p, Requestor who) {
        CallbackData d = new CallbackData(new FileObject(path), p, who);
        d.complete(NtStatus.SUCCESS, 0);
        notifications.incrementAndGet();
        volume.completed(d);
    }

    /**
     * The volume path of a notification's entry: its directory (by handle, {@code O_PATH}: where it is now) and
     * name. A directory that is gone by the time its events are read (made and removed at once) is named as it was
     * last seen: at its creation or rename, or by an earlier event in it ({@link #names}).
     */
    private String entryPath(Fanotify.DirEntry entry, Reading r) {
        if (entry == null || entry.name() == null || entry.handle().length > r.handle.byteSize()) {
            return null;
        }
        String key = key(entry.handle());
        String dir;
        int fd = -1;
        try {
            MemorySegment.copy(MemorySegment.ofArray(entry.handle()), 0, r.handle, 0, entry.handle().length);
            fd = Libc.openByHandleAt(mountFd, r.handle, Libc.O_PATH | Libc.O_CLOEXEC);
            dir = volumePath(pathOf(fd, r));
            names.put(key, dir);
        } catch (Libc.Errno e) {
            dir = names.get(key); // the directory is gone: as it was last seen, if it was
            if (dir == null) {
                return null;
            }
        } finally {
            closeIf(fd);
        }
        String name = entry.name();
        if (name.isEmpty() || name.equals(".")) {
            return dir;
        }
        return dir.equals("/") ? "/" + name : dir + "/" + name;
    }

    /** Directories' last known paths by file handle, the most recent 4,096. */
    private final Map<String, String> names = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > 4096;
        }
    });

    private static String key(byte[] handle) {
        return java.util.HexFormat.of().formatHex(handle);
    }

    // ---- paths and requestors -----------------------------------------------------------------------------------

    /** Where a descriptor points ({@code /proc/self/fd/N}); an unlinked file keeps its last name. */
    private static String pathOf(int fd, Reading r) {
        r.name.setString(0, "/proc/self/fd/" + fd);
        try {
            long n = Libc.readlinkat(Libc.AT_FDCWD, r.name, r.link, "readlink");
            String p = new String(r.link.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            return p.endsWith(" (deleted)") ? p.substring(0, p.length() - " (deleted)".length()) : p;
        } catch (Libc.Errno e) {
            return "/";
        }
    }

    /** A path of the system as a path of this volume: beneath the root, relative to it; elsewhere on it, as it is. */
    private String volumePath(String absolute) {
        if (root.equals("/")) {
            return absolute;
        }
        if (absolute.equals(root)) {
            return "/";
        }
        if (absolute.startsWith(root) && absolute.charAt(root.length()) == '/') {
            return absolute.substring(root.length());
        }
        return absolute;
    }

    /**
     * pid, and the file-system uid and gid from {@code /proc/<pid>/status} (unknown, -1, once it has gone). The
     * kernel formats the whole status file for each read (4 of the 10 µs an open costs with one core for both
     * sides), so the ids are kept per pid and read again when the process's effective ids, the owner of its
     * {@code /proc/<pid>} (one {@code statx}), are not those they were kept with: a change of ids, a new process
     * with other ids under the pid. What is not seen: a process that changes only its file-system ids
     * ({@code setfsuid}), or a new one under the same pid with the same effective ids but other file-system ids.
     */
    private Requestor requestor(int pid, Reading r) {
        long owner;
        try {
            r.name.setString(0, Integer.toString(pid));
            Libc.statx(PROC, r.name, Libc.AT_SYMLINK_NOFOLLOW, STATX_IDS, r.statx, "statx /proc/<pid>");
            owner = Integer.toUnsignedLong(r.statx.get(ValueLayout.JAVA_INT, STX_UID)) << 32
                    | Integer.toUnsignedLong(r.statx.get(ValueLayout.JAVA_INT, STX_GID));
        } catch (Libc.Errno e) {
            return new Requestor(pid, -1, -1); // the process has gone
        }
        long[] kept = ids.get(pid);
        if (kept != null && kept[0] == owner) {
            return new Requestor(pid, (int) (kept[1] >> 32), (int) kept[1]);
        }
        int uid = -1;
        int gid = -1;
        try {
            r.name.setString(0, pid + "/status");
            int fd = Libc.openat(PROC, r.name, Libc.O_CLOEXEC, 0, "open /proc/<pid>/status");
            try {
                long n = Libc.read(fd, r.status, r.errno);
                uid = field(r.status, n, UID);
                gid = field(r.status, n, GID);
            } finally {
                Libc.close(fd);
            }
        } catch (Libc.Errno e) {
            return new Requestor(pid, -1, -1);
        }
        if (ids.size() >= MAX_KEPT_IDS) {
            ids.clear();
        }
        ids.put(pid, new long[] {owner, Integer.toUnsignedLong(uid) << 32 | Integer.toUnsignedLong(gid)});
        return new Requestor(pid, uid, gid);
    }

    private static final int STATX_IDS = 0x8 | 0x10; // STATX_UID | STATX_GID
    /** {@code /proc}, held: each look at a process is one component beneath it, not a walk from the root. */
    private static final int PROC;

    static {
        try {
            PROC = Libc.open("/proc", Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        } catch (Libc.Errno e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    private static final long STX_UID = Libc.STATX.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("stx_uid"));
    private static final long STX_GID = Libc.STATX.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("stx_gid"));
    private static final int MAX_KEPT_IDS = 4096;
    /** Per pid: the effective ids its file-system ids were read with, and those ids. */
    private final ConcurrentHashMap<Integer, long[]> ids = new ConcurrentHashMap<>();

    private static final byte[] UID = "\nUid:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] GID = "\nGid:".getBytes(StandardCharsets.US_ASCII);

    /** The fourth number (the file-system id) of a {@code Uid:} or {@code Gid:} line in the first {@code n} bytes; -1 if none. */
    static int field(MemorySegment status, long n, byte[] key) {
        outer:
        for (long at = 0; at + key.length <= n; at++) {
            for (int k = 0; k < key.length; k++) {
                if (status.get(ValueLayout.JAVA_BYTE, at + k) != key[k]) {
                    continue outer;
                }
            }
            long i = at + key.length;
            int number = 0;
            int value = -1;
            boolean in = false;
            for (; i < n; i++) {
                byte b = status.get(ValueLayout.JAVA_BYTE, i);
                if (b >= '0' && b <= '9') {
                    value = in ? value * 10 + (b - '0') : b - '0';
                    in = true;
                } else {
                    if (in && ++number == 4) {
                        return value;
                    }
                    in = false;
                    if (b == '\n') {
                        return -1;
                    }
                }
            }
            return in && number == 3 ? value : -1;
        }
        return -1;
    }

    /** The file-system type of the mount at or above {@code path}, from {@code /proc/self/mountinfo}. */
    private static String mountType(String path) throws IOException {
        String best = "";
        String type = "unknown";
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            int dash = java.util.Arrays.asList(f).indexOf("-");
            if (f.length < 5 || dash < 0 || dash + 1 >= f.length) {
                continue;
            }
            String mp = f[4].replace("\\040", " ");
            if ((path.equals(mp) || mp.equals("/") || path.startsWith(mp + "/")) && mp.length() >= best.length()) {
                best = mp;
                type = f[dash + 1];
            }
        }
        return type;
    }

    private static void log(String message) {
        System.getLogger("dev.altitude.fuse.fanotify").log(System.Logger.Level.WARNING, message);
    }

    private static void closeIf(int fd) {
        if (fd >= 0) {
            Libc.close(fd);
        }
    }

    // ---- closing ------------------------------------------------------------------------------------------------

    /**
     * Stops reading, answers every pending event (allowed), dismounts the volume (its instances' teardown) and
     * closes the groups.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocate(8);
            one.set(ValueLayout.JAVA_LONG, 0, 1);
            Libc.write(wakeFd, one, 8, Libc.errnoSegment(a)); // the notifier's poll wakes, and keeps waking
        } catch (Libc.Errno e) {
            log("waking the readers: " + e.getMessage());
        }
        readPermit.release(MAX_READERS);
        // one reopen of the wake-up file per reader that may be blocked in read(2); each waits for its answer (a
        // reader allows the daemon's own opens at once), or for the group's close, which allows what is pending
        Thread waker = Thread.ofPlatform().daemon().name("altitude-fanotify-wake " + volume.name()).start(() -> {
            for (int i = readers.size(); i > 0; i--) {
                try {
                    Libc.close(Libc.open("/proc/self/fd/" + wakeFile, Libc.O_CLOEXEC));
                } catch (Libc.Errno e) {
                    log("waking the readers: " + e.getMessage());
                    return;
                }
            }
        });
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Fanotify.RESPONSE);
            MemorySegment errno = Libc.errnoSegment(a);
            for (Pending p : pending) {
                answer(p, Fanotify.FAN_ALLOW, buf, errno);
            }
            for (Pending p; (p = backlog.poll()) != null; ) { // each taken once: here or by a reader, never both
                answer(p, Fanotify.FAN_ALLOW, buf, errno);
                pending.remove(p);
                Libc.close(p.event.fd());
            }
        }
        manager.dismountVolume(volume.name());
        for (Thread t : List.copyOf(readers)) {
            join(t);
        }
        join(watchdog);
        if (notifier != null) {
            join(notifier);
        }
        Libc.close(permFd); // the kernel allows whatever is still pending, a wake-up no reader took among them
        join(waker);
        closeIf(notifyFd);
        Libc.close(wakeFd);
        Libc.close(mountFd);
        Libc.close(wakeFile);
    }

    private static void join(Thread t) {
        try {
            if (!t.join(Duration.ofSeconds(10))) {
                log("thread " + t.getName() + " did not end within 10 s of the close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
