package dev.altitude.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.altitude.core.FilterManager;
import dev.altitude.core.Volume;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A volume mounted with the FUSE kernel protocol spoken directly on {@code /dev/fuse} (no libfuse): the daemon
 * opens the device, mounts it with {@code mount(2)} ({@code default_permissions}, {@code allow_other}; root
 * only), answers the kernel's {@code INIT} and serves requests on {@code threads} threads that each read the
 * device. {@link #close()} unmounts (lazily: a caller inside the mount keeps its files), stops the threads, closes
 * what the kernel left open and dismounts the volume.
 */
public final class FuseMount implements AutoCloseable {
    /**
     * Whether opens of files no filter reads or writes use kernel passthrough ({@code -Daltitude.fuse.passthrough=false}
     * turns it off: such opens then use the page cache).
     */
    static final boolean PASSTHROUGH = !"false".equals(System.getProperty("altitude.fuse.passthrough"));

    /** The largest write the kernel sends in one request, and so the largest read it asks for. */
    static final int MAX_WRITE = 1 << 20;
    private static final int BUFFER = MAX_WRITE + 64 * 1024;

    private final FilterManager manager;
    private final Volume volume;
    private final Path source;
    private final Path mountPoint;
    private final int fd;
    private final Operations operations;
    private final DataPaths paths;
    private final List<Worker> workers = new ArrayList<>();
    private volatile int minor;
    private volatile boolean closed;

    private FuseMount(FilterManager manager, Volume volume, Path source, Path mountPoint, int fd, long cacheSeconds) {
        this.manager = manager;
        this.source = source;
        this.volume = volume;
        this.mountPoint = mountPoint;
        this.fd = fd;
        this.paths = new DataPaths(fd);
        this.operations = new Operations(volume, paths, cacheSeconds);
        volume.reportDataBypass(operations::dataBypass);
        operations.deferWith(this::answerLater);
    }

    /** Requests answered off the workers (a SETLKW that may wait long), by unique, with the thread answering each. */
    private final java.util.concurrent.ConcurrentHashMap<Long, Thread> deferred = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Answers request {@code unique} on a thread of its own: the workers stay free to serve the unlock a waiting lock
     * waits for. INTERRUPT interrupts that thread as it would a worker. The reply goes to the descriptor the request
     * came from, which {@link #close} keeps open until every such thread has ended.
     */
    private void answerLater(long unique, java.util.function.IntSupplier answer) {
        // the answer goes to the descriptor the request was read from: each clone has its own queue of requests
        // being served, and the kernel matches a reply only against the queue of the descriptor it is written to
        int device = fd;
        for (Worker w : workers) {
            if (w.thread == Thread.currentThread()) {
                device = w.device;
            }
        }
        int to = device;
        Thread t = Thread.ofPlatform().name("altitude-fuse-lock-" + unique).daemon().unstarted(() -> {
            int result;
            try {
                result = answer.getAsInt();
            } catch (RuntimeException e) {
                System.getLogger("dev.altitude.fuse").log(System.Logger.Level.WARNING, "a lock on " + mountPoint + " failed", e);
                result = -Errnos.EIO;
            } finally {
                deferred.remove(unique);
            }
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(Abi.OUT_HEADER.byteSize(), 8);
                reply(to, out, unique, Math.min(0, result), Libc.errnoSegment(a));
            } catch (Libc.Errno e) {
                // ENOENT: the caller gave up (interrupted); ENODEV: unmounted
            }
        });
        deferred.put(unique, t);
        t.start();
    }

    /**
     * Can this process mount: {@code /dev/fuse}, and root (which mounts with {@code mount(2)}) or {@code fusermount3}
     * (which mounts for another user)? Says what is missing, or null.
     */
    public static String unavailableReason() {
        if (!Files.exists(Path.of("/dev/fuse"))) {
            return "no /dev/fuse";
        }
        try {
            if (!isRoot() && fusermount() == null) {
                return "a FUSE mount needs root, or fusermount3 (Debian: apt-get install fuse3)";
            }
        } catch (IOException | RuntimeException e) {
            return "cannot tell this process's user: " + e;
        }
        return null;
    }

    /** Is this process's effective user root? */
    static boolean isRoot() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
    }

    /** The set-user-ID {@code fusermount3}, or null. */
    static Path fusermount() {
        for (String dir : List.of("/usr/bin", "/bin", "/usr/local/bin")) {
            Path p = Path.of(dir, "fusermount3");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * Mounts through {@code fusermount3} (for a user other than root): it opens {@code /dev/fuse}, mounts it and sends
     * the descriptor back over a socket ({@code _FUSE_COMMFD}). {@code allow_other} only where {@code /etc/fuse.conf}
     * lets users ask for it ({@code user_allow_other}); without it only this user reaches the mount.
     */
    private static int mountWithFusermount(Path mp) throws IOException {
        boolean allowOther;
        try {
            allowOther = Files.readAllLines(Path.of("/etc/fuse.conf")).stream().map(String::strip)
                    .anyMatch(l -> l.equals("user_allow_other"));
        } catch (IOException e) {
            allowOther = false;
        }
        int[] pair = Libc.socketpair();
        try {
            int exit = Libc.spawnAndWait(List.of(fusermount().toString(), "-o",
                    "default_permissions,fsname=altitude,subtype=altitude" + (allowOther ? ",allow_other" : ""), "--",
                    mp.toString()), List.of("_FUSE_COMMFD=3", "PATH=/usr/bin:/bin"), pair[1]);
            Libc.close(pair[1]);
            pair[1] = -1;
            int fd = exit == 0 ? Libc.receiveDescriptor(pair[0]) : -1;
            if (fd < 0) {
                throw new IOException("fusermount3 did not mount " + mp + " (exit status " + exit + ")");
            }
            return fd;
        } finally {
            Libc.close(pair[0]);
            if (pair[1] >= 0) {
                Libc.close(pair[1]);
            }
        }
    }

    /** Unmounts lazily (a caller inside keeps its files): {@code umount2} as root, {@code fusermount3 -u -z} otherwise. */
    static void unmount(Path mp) throws IOException {
        try {
            Libc.umount2(mp.toString(), Libc.MNT_DETACH);
            return;
        } catch (Libc.Errno e) {
            if (e.errno() != 1 || fusermount() == null) { // EPERM: not root
                throw e;
            }
        }
        Process p = new ProcessBuilder(fusermount().toString(), "-u", "-z", mp.toString()).redirectErrorStream(true).start();
        var said = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes()).strip();
            } catch (IOException e) {
                return e.toString();
            }
        });
        try {
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("fusermount3 -u " + mp + " did not finish");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("fusermount3 -u " + mp + ": " + said.getNow(""));
        }
    }

    /**
     * Mounts {@code source} at {@code mountPoint} as volume {@code volumeName} of {@code manager}, served by one
     * thread per processor (at least two).
     */
    public static FuseMount mount(FilterManager manager, String volumeName, Path source, Path mountPoint)
            throws IOException {
        return mount(manager, volumeName, source, mountPoint, Math.max(2, Runtime.getRuntime().availableProcessors()));
    }

    /** Mounts {@code source} at {@code mountPoint} as volume {@code volumeName} of {@code manager}. */
    public static FuseMount mount(FilterManager manager, String volumeName, Path source, Path mountPoint, int threads)
            throws IOException {
        return mount(manager, volumeName, source, mountPoint, threads, 1);
    }

    /**
     * As {@link #mount(FilterManager, String, Path, Path, int)}, the kernel keeping names and attributes for
     * {@code cacheSeconds} (a change through another mount of this daemon is notified at once; one behind the
     * daemon's back shows after this).
     */
    public static FuseMount mount(FilterManager manager, String volumeName, Path source, Path mountPoint, int threads,
                                  long cacheSeconds) throws IOException {
        String missing = unavailableReason();
        if (missing != null) {
            throw new IOException("cannot mount: " + missing);
        }
        Path src = source.toRealPath();
        Path mp = mountPoint.toAbsolutePath().normalize();
        StaleMount.clean(mp);
        mp = mp.toRealPath();
        if (!Files.isDirectory(mp)) {
            throw new java.nio.file.NotDirectoryException(mp + " (the mount point must be a directory)");
        }
        Volume volume = manager.mountVolume(volumeName, PosixBackend.open(src));
        int fd = -1;
        boolean mounted = false;
        try {
            if (isRoot()) {
                fd = Libc.open("/dev/fuse", Libc.O_RDWR | Libc.O_CLOEXEC);
                Libc.mount("altitude:" + src, mp.toString(), "fuse.altitude", Libc.MS_NOSUID | Libc.MS_NODEV,
                        "fd=" + fd + ",rootmode=40000,user_id=0,group_id=0,default_permissions,allow_other");
            } else {
                fd = mountWithFusermount(mp);
            }
            mounted = true;
            FuseMount m = new FuseMount(manager, volume, src, mp, fd, cacheSeconds);
            m.start(Math.max(1, threads));
            m.joinSource();
            return m;
        } catch (IOException | RuntimeException e) {
            if (mounted) {
                try {
                    unmount(mp);
                } catch (IOException again) {
                    e.addSuppressed(again);
                }
            }
            if (fd >= 0) {
                Libc.close(fd);
            }
            manager.dismountVolume(volumeName);
            throw e;
        }
    }

    public Volume volume() {
        return volume;
    }

    public Path mountPoint() {
        return mountPoint;
    }

    public Path source() {
        return source;
    }

    /** The protocol minor version agreed with the kernel. */
    public int protocolMinor() {
        return minor;
    }

    /** Files the kernel holds open on this mount (its opens and directory opens not yet released). */
    public int openHandles() {
        return operations.openHandles();
    }

    /** Files open now in kernel passthrough and through the page cache: their reads (some or all) reach no filter. */
    public int[] fasterOpens() {
        return paths.counts();
    }

    /** READ requests the kernel sent so far (none for a file in passthrough, page fills in the page cache). */
    public long readRequests() {
        return operations.requestsByOpcode()[Abi.READ];
    }

    /** Waits until at least {@code count} requests of {@code opcode} have arrived; false after {@code millis}. */
    boolean awaitRequests(int opcode, long count, long millis) throws InterruptedException {
        return operations.awaitRequests(opcode, count, millis);
    }

    /** Waits until no file is open in passthrough or through the page cache; false after {@code millis}. */
    boolean awaitFasterOpensClosed(long millis) throws InterruptedException {
        return paths.awaitIdle(millis);
    }

    /** Waits until every notification queued for this mount's kernel has been written; false after {@code millis}. */
    boolean awaitNotified(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        synchronized (notices) {
            while (pendingNotices > 0) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return false;
                }
                notices.wait(left);
            }
            return true;
        }
    }

    /** Requests the kernel sent so far, by opcode ({@code fuse.h}'s numbers, below 64). */
    public long[] requestsByOpcode() {
        return operations.requestsByOpcode();
    }

    /** Whether INIT agreed on kernel passthrough. */
    public boolean passthrough() {
        return paths.passthroughEnabled();
    }

    /** Requests served so far (every opcode). */
    public long served() {
        return java.util.Arrays.stream(operations.requestsByOpcode()).sum();
    }

    private void start(int threads) throws IOException {
        // INIT first, on this thread: the mount is usable when mount() returns
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(BUFFER, 8);
            MemorySegment out = arena.allocate(4096, 8);
            MemorySegment errno = Libc.errnoSegment(arena);
            // a kernel of another major version gets this one's major and, if it speaks it too, asks again
            for (int attempt = 0; minor == 0; attempt++) {
                if (attempt == 2) {
                    throw new IOException("the kernel does not speak FUSE protocol " + Abi.KERNEL_VERSION);
                }
                long n = Libc.read(fd, in, errno);
                Operations.Request r = Operations.Request.of(in.asSlice(0, n));
                if (r.opcode() != Abi.INIT) {
                    throw new IOException("the kernel's first request is opcode " + r.opcode() + ", not INIT");
                }
                int len = init(r, out.asSlice(Abi.OUT_HEADER.byteSize()));
                reply(fd, out, r.unique(), len, errno);
            }
        }
        // each worker reads its own clone of the session (FUSE_DEV_IOC_CLONE): the kernel spreads the requests
        for (int i = 0; i < threads; i++) {
            int device = fd;
            if (i > 0) {
                try {
                    device = cloneSession();
                } catch (Libc.Errno e) {
                    // /dev/fuse is root's here (fusermount3 opened it for this user): the workers share the session
                }
            }
            Worker w = new Worker(device);
            workers.add(w);
            w.thread = Thread.ofPlatform().name("altitude-fuse-" + mountPoint.getFileName() + "-" + i).daemon()
                    .start(() -> serve(w));
        }
    }

    /** Interrupts the threads answering deferred requests and waits for them (10 s at most); true if they ended. */
    private boolean endDeferred() {
        for (Thread t : deferred.values()) {
            t.interrupt();
        }
        try {
            for (Thread t : List.copyOf(deferred.values())) {
                t.join(10_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return deferred.isEmpty();
    }

    /** A worker: its thread, its descriptor of the session, and the request it serves now (0: none). */
    private static final class Worker {
        final int device;
        Thread thread;
        long serving;

        Worker(int device) {
            this.device = device;
        }
    }

    /** A new descriptor of this session, for one more worker. */
    private int cloneSession() throws Libc.Errno {
        int c = Libc.open("/dev/fuse", Libc.O_RDWR | Libc.O_CLOEXEC);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment session = a.allocate(JAVA_INT);
            session.set(JAVA_INT, 0, fd);
            Libc.ioctl(c, Abi.DEV_IOC_CLONE, session);
            return c;
        } catch (Libc.Errno e) {
            Libc.close(c);
            throw e;
        }
    }

    /**
     * {@code INTERRUPT}: the caller of request {@code unique} was interrupted. The worker serving it is interrupted
     * (a pended operation's cancel routine then completes it, {@code STATUS_CANCELLED}, so the caller gets EINTR);
     * one not being served (not read yet, or answered already) is answered EAGAIN, and the kernel sends the
     * interrupt again if the request is still waiting.
     */
    private int interrupt(long unique) {
        Thread later = deferred.get(unique);
        if (later != null) {
            later.interrupt();
            return Operations.NO_REPLY;
        }
        for (Worker w : workers) {
            synchronized (w) {
                if (w.serving == unique) {
                    w.thread.interrupt();
                    return Operations.NO_REPLY;
                }
            }
        }
        return -Errnos.EAGAIN;
    }

    /** The INIT reply: the protocol version, and only the features this front end implements. */
    private int init(Operations.Request r, MemorySegment out) {
        int major = r.u32(Abi.INIT_IN, "major");
        int kernelMinor = r.u32(Abi.INIT_IN, "minor");
        out.asSlice(0, Abi.INIT_OUT.byteSize()).fill((byte) 0);
        out.set(JAVA_INT, Abi.off(Abi.INIT_OUT, "major"), Abi.KERNEL_VERSION);
        if (major != Abi.KERNEL_VERSION) {
            return (int) Abi.INIT_OUT.byteSize(); // the kernel sends another INIT with our major
        }
        minor = Math.min(kernelMinor, Abi.KERNEL_MINOR_VERSION);
        long offered = Integer.toUnsignedLong(r.u32(Abi.INIT_IN, "flags"));
        if ((offered & Abi.INIT_EXT) != 0) {
            offered |= Integer.toUnsignedLong(r.u32(Abi.INIT_IN, "flags2")) << 32;
        }
        long wanted = Abi.ASYNC_READ | Abi.ATOMIC_O_TRUNC | Abi.BIG_WRITES | Abi.MAX_PAGES | Abi.PARALLEL_DIROPS
                | Abi.HANDLE_KILLPRIV_V2 | Abi.INIT_EXT | (PASSTHROUGH ? Abi.PASSTHROUGH : 0)
                | Abi.DIRECT_IO_ALLOW_MMAP // a shared mapping of a direct file (SQLite's WAL index) goes through pages
                | Abi.DO_READDIRPLUS | Abi.READDIRPLUS_AUTO // ls -l: the attributes come with the names
                | Abi.DONT_MASK // the umask comes with the request: a directory's default ACL may stand in its place
                | Abi.POSIX_LOCKS | Abi.FLOCK_LOCKS // fcntl and flock locks are the source's, seen by filters as LOCK_CONTROL
                | Abi.POSIX_ACL; // the kernel checks access against the ACLs (as default_permissions does against modes)
        long agreed = offered & wanted;
        out.set(JAVA_INT, Abi.off(Abi.INIT_OUT, "minor"), minor);
        out.set(JAVA_INT, Abi.off(Abi.INIT_OUT, "max_readahead"), r.u32(Abi.INIT_IN, "max_readahead"));
        out.set(JAVA_INT, Abi.off(Abi.INIT_OUT, "flags"), (int) agreed);
        out.set(JAVA_INT, Abi.off(Abi.INIT_OUT, "flags2"), (int) (agreed >>> 32));
        if ((agreed & Abi.PASSTHROUGH) != 0) {
            out.set(JAVA_INT, Abi.off(Abi.INIT_OUT, "max_stack_depth"), 1); // BACKING_OPEN is refused at 0
            paths.enablePassthrough();
        }
        out.set(JAVA_SHORT, Abi.off(Abi.INIT_OUT, "max_background"), (short) 64);
        out.set(JAVA_SHORT, Abi.off(Abi.INIT_OUT, "congestion_threshold"), (short) 48);
        out.set(JAVA_INT, Abi.off(Abi.INIT_OUT, "max_write"), MAX_WRITE);
        out.set(JAVA_INT, Abi.off(Abi.INIT_OUT, "time_gran"), 1);
        out.set(JAVA_SHORT, Abi.off(Abi.INIT_OUT, "max_pages"), (short) (MAX_WRITE / 4096));
        return (int) Abi.INIT_OUT.byteSize();
    }

    /** The reply: the header, then {@code result} bytes of payload, or (negative {@code result}) the errno alone. */
    private static void reply(int fd, MemorySegment out, long unique, int result, MemorySegment errno) throws Libc.Errno {
        int len = (int) Abi.OUT_HEADER.byteSize() + Math.max(0, result);
        out.set(JAVA_INT, Abi.off(Abi.OUT_HEADER, "len"), len);
        out.set(JAVA_INT, Abi.off(Abi.OUT_HEADER, "error"), Math.min(0, result));
        out.set(JAVA_LONG, Abi.off(Abi.OUT_HEADER, "unique"), unique);
        Libc.write(fd, out, len, errno);
    }

    // ---- the other mounts of the same source ----------------------------------------------------------

    /** Every mount of this daemon by its source: a change through one is notified to the kernels of the others. */
    private static final java.util.concurrent.ConcurrentHashMap<Path, java.util.concurrent.CopyOnWriteArrayList<FuseMount>>
            BY_SOURCE = new java.util.concurrent.ConcurrentHashMap<>();
    /** A notification to send: its code and its payload (the structure, then a name for an entry). */
    private record Notice(int code, byte[] payload) {
    }

    private static final Notice STOP = new Notice(0, new byte[0]);
    private final java.util.concurrent.LinkedBlockingQueue<Notice> notices = new java.util.concurrent.LinkedBlockingQueue<>();
    /** Notifications queued and not yet written (guarded by {@link #notices}' monitor). */
    private int pendingNotices;
    private Thread notifier;

    private void joinSource() {
        var same = BY_SOURCE.computeIfAbsent(source, k -> new java.util.concurrent.CopyOnWriteArrayList<>());
        same.add(this);
        notifier = Thread.ofPlatform().name("altitude-fuse-notify-" + mountPoint.getFileName()).daemon().start(this::notifyLoop);
        operations.onChanges(new Operations.Changes() {
            @Override
            public boolean wanted() {
                return same.size() > 1;
            }

            @Override
            public void attributes(String path) {
                for (FuseMount other : same) {
                    if (other != FuseMount.this) {
                        other.invalidateInode(path);
                    }
                }
            }

            @Override
            public void entry(String parent, String name) {
                for (FuseMount other : same) {
                    if (other != FuseMount.this) {
                        other.invalidateEntry(parent, name);
                    }
                }
            }
        });
    }

    /** {@code FUSE_NOTIFY_INVAL_INODE}: the kernel drops its attributes and cached data of the file (if it has it). */
    private void invalidateInode(String path) {
        long node = operations.nodeOf(path);
        if (node != 0) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate((int) Abi.NOTIFY_INVAL_INODE_OUT.byteSize())
                    .order(java.nio.ByteOrder.nativeOrder());
            b.putLong((int) Abi.off(Abi.NOTIFY_INVAL_INODE_OUT, "ino"), node);
            b.putLong((int) Abi.off(Abi.NOTIFY_INVAL_INODE_OUT, "off"), 0);
            b.putLong((int) Abi.off(Abi.NOTIFY_INVAL_INODE_OUT, "len"), -1); // all of its data
            queue(new Notice(Abi.NOTIFY_INVAL_INODE, b.array()));
        }
    }

    /** {@code FUSE_NOTIFY_INVAL_ENTRY}: the kernel forgets what {@code name} in {@code parent} led to. */
    private void invalidateEntry(String parent, String name) {
        long node = operations.nodeOf(parent);
        if (node != 0) {
            byte[] n = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            int size = (int) Abi.NOTIFY_INVAL_ENTRY_OUT.byteSize();
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(size + n.length + 1).order(java.nio.ByteOrder.nativeOrder());
            b.putLong((int) Abi.off(Abi.NOTIFY_INVAL_ENTRY_OUT, "parent"), node);
            b.putInt((int) Abi.off(Abi.NOTIFY_INVAL_ENTRY_OUT, "namelen"), n.length);
            b.put(size, n);
            queue(new Notice(Abi.NOTIFY_INVAL_ENTRY, b.array()));
        }
    }

    private void queue(Notice n) {
        synchronized (notices) {
            pendingNotices++;
        }
        notices.add(n);
    }

    private void written() {
        synchronized (notices) {
            if (--pendingNotices == 0) {
                notices.notifyAll();
            }
        }
    }

    /**
     * Sends the notifications, on a thread of their own: a notification waits for the kernel's locks of the name or
     * file, which a request in flight on this mount may hold while its worker notifies another mount.
     */
    private void notifyLoop() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(64 * 1024, 8);
            MemorySegment errno = Libc.errnoSegment(arena);
            while (true) {
                Notice n = notices.take();
                if (n == STOP) {
                    return;
                }
                MemorySegment.copy(n.payload(), 0, out, java.lang.foreign.ValueLayout.JAVA_BYTE, Abi.OUT_HEADER.byteSize(),
                        n.payload().length);
                int len = (int) Abi.OUT_HEADER.byteSize() + n.payload().length;
                out.set(JAVA_INT, Abi.off(Abi.OUT_HEADER, "len"), len);
                out.set(JAVA_INT, Abi.off(Abi.OUT_HEADER, "error"), n.code());
                out.set(JAVA_LONG, Abi.off(Abi.OUT_HEADER, "unique"), 0);
                try {
                    Libc.write(fd, out, len, errno);
                } catch (Libc.Errno e) {
                    if (e.errno() == Errnos.ENODEV) {
                        return; // unmounted
                    }
                    // ENOENT: the kernel no longer has that file or name cached
                } finally {
                    written();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One worker: read a request, answer it, until the device says the mount is gone. */
    private void serve(Worker w) {
        int fd = w.device;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(BUFFER, 8);
            MemorySegment out = arena.allocate(BUFFER, 8);
            MemorySegment errno = Libc.errnoSegment(arena);
            MemorySegment payload = out.asSlice(Abi.OUT_HEADER.byteSize());
            while (true) {
                long n;
                try {
                    n = Libc.read(fd, in, errno);
                } catch (Libc.Errno e) {
                    if (e.errno() == Errnos.EINTR || e.errno() == Errnos.ENOENT || e.errno() == Errnos.EAGAIN) {
                        continue; // interrupted, or a request the kernel withdrew
                    }
                    return; // ENODEV: unmounted
                }
                Operations.Request r = Operations.Request.of(in.asSlice(0, n));
                int result;
                if (r.opcode() == Abi.INTERRUPT) {
                    operations.count(Abi.INTERRUPT);
                    result = interrupt(r.u64(Abi.INTERRUPT_IN, "unique"));
                } else {
                    synchronized (w) {
                        w.serving = r.unique();
                    }
                    try {
                        result = operations.handle(r, payload);
                    } catch (RuntimeException e) {
                        System.getLogger("dev.altitude.fuse").log(System.Logger.Level.WARNING,
                                "request " + r.opcode() + " on " + mountPoint + " failed", e);
                        result = -5; // EIO
                    } finally {
                        synchronized (w) {
                            w.serving = 0;
                            // an interrupt meant for this request ends with it, or goes on to the thread answering it
                            if (Thread.interrupted()) {
                                Thread later = deferred.get(r.unique());
                                if (later != null) {
                                    later.interrupt();
                                }
                            }
                        }
                    }
                }
                if (result == Operations.NO_REPLY) {
                    continue;
                }
                try {
                    reply(fd, out, r.unique(), result, errno);
                } catch (Libc.Errno e) {
                    if (e.errno() == Errnos.ENODEV) {
                        return;
                    }
                    // ENOENT: the request was interrupted and is gone; nothing to answer
                }
                if (r.opcode() == Abi.DESTROY) {
                    return;
                }
            }
        }
    }

    /**
     * Unmounts, stops the workers, closes what the kernel left open, dismounts the volume. A worker still in a filter
     * after the unmount (an operation it pended, on an aborted connection) ends with the dismount, whose teardown lets
     * pended operations go; a descriptor is closed only when no worker can use it any more.
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        var same = BY_SOURCE.get(source);
        if (same != null) {
            same.remove(this);
            BY_SOURCE.remove(source, java.util.List.of());
        }
        if (notifier != null) {
            notices.add(STOP);
        }
        try {
            unmount(mountPoint);
        } finally {
            // the unmount aborts the connection once no one uses it: each worker's read ends with ENODEV
            boolean ended = join(10_000);
            ended &= endDeferred();
            operations.closeAll();
            manager.dismountVolume(volume.name());
            ended = ended || join(10_000);
            if (notifier != null) {
                try {
                    notifier.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (ended && (notifier == null || !notifier.isAlive())) {
                for (Worker w : workers) {
                    if (w.device != fd) {
                        Libc.close(w.device);
                    }
                }
                Libc.close(fd);
            } else {
                System.getLogger("dev.altitude.fuse").log(System.Logger.Level.WARNING, "a worker of " + mountPoint
                        + " did not end: its /dev/fuse descriptors stay open rather than be reused under it");
            }
        }
    }

    /** Waits up to {@code millis} for every worker; whether they all ended. */
    private boolean join(long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        for (Worker w : workers) {
            try {
                w.thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return workers.stream().noneMatch(w -> w.thread.isAlive());
    }
}
