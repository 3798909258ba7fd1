package dev.altitude.fuse;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.altitude.core.CallbackData;
import dev.altitude.core.FileInformationClass;
import dev.altitude.core.FileMode;
import dev.altitude.core.FileObject;
import dev.altitude.core.IoParameters;
import dev.altitude.core.IoParameters.Access;
import dev.altitude.core.IoParameters.CreateDisposition;
import dev.altitude.core.IoParameters.CreateOption;
import dev.altitude.core.IoParameters.FileInformation;
import dev.altitude.core.IoParameters.FileKind;
import dev.altitude.core.IoResult;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.OperationFlag;
import dev.altitude.core.Principal;
import dev.altitude.core.Requestor;
import dev.altitude.core.Volume;
import dev.altitude.fuse.PathCalls.Done;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The FUSE requests, each as the core operations it is: the kernel names files by node id ({@link Inodes}), an
 * operation on a name opens that path for metadata, runs the operation and closes it, as a Windows program's
 * handle would; open files and directories are file objects behind the handle numbers the kernel keeps. The
 * reply is written into {@code out} after its header; the result is the payload's length, a negative errno, or
 * {@link #NO_REPLY}.
 */
final class Operations {
    static final int NO_REPLY = Integer.MIN_VALUE;
    private static final long HEADER = Abi.IN_HEADER.byteSize();
    /**
     * How long the kernel may keep a name and attributes: a change behind its back (not through a mount of this
     * daemon, which tells the others) shows after this.
     */
    private final long validSeconds;

    /** What a request changed, for the other mounts of the same source, whose kernels may have cached it. */
    interface Changes {
        /** Whether anyone listens now (another mount of the source): if not, a request's changes are not gathered. */
        boolean wanted();

        /** The attributes (size, times, mode, link count) of the file at {@code path} changed. */
        void attributes(String path);

        /** The name {@code name} in the directory {@code parent} now means another file, or none. */
        void entry(String parent, String name);
    }

    private volatile Changes changes;
    /** setxattr(2)'s flags. */
    private static final int XATTR_CREATE = 1, XATTR_REPLACE = 2;
    /** {@code FUSE_COMPAT_SETXATTR_IN_SIZE}. */
    private static final long SETXATTR_COMPAT_SIZE = 8;

    private final Volume volume;
    private final PathCalls calls;
    private final Inodes inodes = new Inodes();
    private final Map<Long, Open> handles = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(1);

    /** An open file or directory: its file object and, for a directory, the listing a READDIR pages through. */
    private static final class Open {
        final FileObject file;
        final long node;
        /** A file's data path (null for a directory); its reads and writes are paging I/O in the page cache's. */
        final DataPaths.Opened how;
        final DataPaths.Mode mode;
        final IoParameters.IoPath ioPath;
        volatile List<IoResult.DirectoryEntry> listing;

        Open(FileObject file, long node, DataPaths.Opened how) {
            this.file = file;
            this.node = node;
            this.how = how;
            this.mode = how == null ? null : how.mode();
            this.ioPath = mode == DataPaths.Mode.PAGE_CACHE ? IoParameters.IoPath.PAGING : IoParameters.IoPath.NON_CACHED;
        }
    }

    private final DataPaths paths;
    /** Requests by opcode (below 64), for what the mount reports. */
    private final java.util.concurrent.atomic.AtomicLongArray byOpcode = new java.util.concurrent.atomic.AtomicLongArray(64);

    Operations(Volume volume, DataPaths paths, long validSeconds) {
        this.volume = volume;
        this.paths = paths;
        this.validSeconds = validSeconds;
        this.calls = new PathCalls(volume);
    }

    // ---- the request ---------------------------------------------------------------------------------

    /** One request as read from the device: its header fields and its body. */
    record Request(MemorySegment buf, int opcode, long unique, long nodeid, Requestor who) {
        static Request of(MemorySegment buf) {
            return new Request(buf, buf.get(JAVA_INT, Abi.off(Abi.IN_HEADER, "opcode")),
                    buf.get(JAVA_LONG, Abi.off(Abi.IN_HEADER, "unique")), buf.get(JAVA_LONG, Abi.off(Abi.IN_HEADER, "nodeid")),
                    new Requestor(buf.get(JAVA_INT, Abi.off(Abi.IN_HEADER, "pid")),
                            buf.get(JAVA_INT, Abi.off(Abi.IN_HEADER, "uid")), buf.get(JAVA_INT, Abi.off(Abi.IN_HEADER, "gid"))));
        }

        int u32(java.lang.foreign.StructLayout s, String f) {
            return buf.get(JAVA_INT, HEADER + Abi.off(s, f));
        }

        long u64(java.lang.foreign.StructLayout s, String f) {
            return buf.get(JAVA_LONG, HEADER + Abi.off(s, f));
        }

        /** The NUL-terminated string at {@code offset} of the body. */
        String string(long offset) {
            return buf.getString(HEADER + offset);
        }

        long stringEnd(long offset) {
            long i = HEADER + offset;
            while (buf.get(JAVA_BYTE, i) != 0) {
                i++;
            }
            return i + 1 - HEADER;
        }
    }

    // ---- core operations -----------------------------------------------------------------------------

    private Done send(FileObject fo, IoParameters p, Requestor who) {
        return calls.send(fo, p, who);
    }

    private void close(FileObject fo, Requestor who) {
        calls.close(fo, who);
    }

    private Done onPath(String path, IoParameters.Create open, Requestor who, List<IoParameters> ops) {
        return calls.onPath(path, open, who, ops);
    }

    private Done onPath(String path, Requestor who, IoParameters p) {
        return calls.onPath(path, who, p);
    }

    private static String child(String dir, String name) {
        return dir.equals("/") ? "/" + name : dir + "/" + name;
    }

    // ---- dispatch -----------------------------------------------------------------------------------

    /** The node id the kernel knows {@code path} by on this mount, or 0 if it has none. */
    long nodeOf(String path) {
        return inodes.nodeOf(path);
    }

    /** Threads waiting in {@link #awaitRequests}: only then does a request's count wake anyone. */
    private volatile int waiters;

    /** Counts a request by its opcode. */
    void count(int opcode) {
        if (opcode >= 0 && opcode < byOpcode.length()) {
            byOpcode.incrementAndGet(opcode);
            if (waiters > 0) {
                synchronized (byOpcode) {
                    byOpcode.notifyAll();
                }
            }
        }
    }

    /** Waits until at least {@code count} requests of {@code opcode} have arrived; false after {@code millis}. */
    boolean awaitRequests(int opcode, long count, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        synchronized (byOpcode) {
            waiters++;
            try {
                while (byOpcode.get(opcode) < count) {
                    long left = (deadline - System.nanoTime()) / 1_000_000;
                    if (left <= 0) {
                        return false;
                    }
                    byOpcode.wait(left);
                }
                return true;
            } finally {
                waiters--;
            }
        }
    }

    void onChanges(Changes c) {
        changes = c;
    }

    int handle(Request r, MemorySegment out) {
        count(r.opcode());
        String path = r.nodeid() == 0 ? null : inodes.path(r.nodeid());
        Changes c = changes;
        if (c == null || !c.wanted()) {
            return serve(r, path, out);
        }
        // the names a change touches, read before the request (a rename moves them)
        String[] touched = touched(r, path);
        int result = serve(r, path, out);
        if (result >= 0 && touched != null) {
            for (int i = 0; i + 1 < touched.length; i += 2) {
                if (touched[i + 1] == null) {
                    c.attributes(touched[i]);
                } else {
                    c.entry(touched[i], touched[i + 1]);
                    c.attributes(touched[i]);
                }
            }
        }
        return result;
    }

    /**
     * What a request will change, as pairs: (path, null) for a file's attributes, (directory, name) for a name in
     * it (and the directory's attributes); null for a request that changes nothing.
     */
    private String[] touched(Request r, String path) {
        if (path == null && r.opcode() != Abi.WRITE) {
            return null;
        }
        return switch (r.opcode()) {
            case Abi.SETATTR, Abi.SETXATTR, Abi.REMOVEXATTR, Abi.FALLOCATE -> new String[] {path, null};
            case Abi.WRITE -> {
                Open o = handles.get(r.u64(Abi.WRITE_IN, "fh"));
                String p = o == null ? null : inodes.path(o.node);
                yield p == null ? null : new String[] {p, null};
            }
            case Abi.CREATE -> new String[] {path, r.string(Abi.CREATE_IN.byteSize())};
            case Abi.MKNOD -> new String[] {path, r.string(Abi.MKNOD_IN.byteSize())};
            case Abi.MKDIR -> new String[] {path, r.string(Abi.MKDIR_IN.byteSize())};
            case Abi.SYMLINK -> new String[] {path, r.string(0)};
            case Abi.LINK -> {
                String existing = inodes.path(r.u64(Abi.LINK_IN, "oldnodeid"));
                yield new String[] {path, r.string(Abi.LINK_IN.byteSize()), existing, null};
            }
            case Abi.UNLINK, Abi.RMDIR -> new String[] {path, r.string(0), child(path, r.string(0)), null};
            case Abi.RENAME, Abi.RENAME2 -> {
                long at = r.opcode() == Abi.RENAME ? Abi.RENAME_IN.byteSize() : Abi.RENAME2_IN.byteSize();
                String to = inodes.path(r.u64(r.opcode() == Abi.RENAME ? Abi.RENAME_IN : Abi.RENAME2_IN, "newdir"));
                yield to == null ? null : new String[] {path, r.string(at), to, r.string(r.stringEnd(at))};
            }
            default -> null;
        };
    }

    /** The request's answer: its reply's length, or -errno, or {@link #NO_REPLY}. */
    private int serve(Request r, String path, MemorySegment out) {
        return switch (r.opcode()) {
            case Abi.LOOKUP -> path == null ? -Errnos.ENOENT : lookup(child(path, r.string(0)), r.who(), out);
            case Abi.FORGET -> {
                inodes.forget(r.nodeid(), r.u64(Abi.FORGET_IN, "nlookup"));
                yield NO_REPLY;
            }
            case Abi.BATCH_FORGET -> {
                int count = r.u32(Abi.BATCH_FORGET_IN, "count");
                long at = HEADER + Abi.BATCH_FORGET_IN.byteSize();
                for (int i = 0; i < count; i++, at += Abi.FORGET_ONE.byteSize()) {
                    inodes.forget(r.buf().get(JAVA_LONG, at), r.buf().get(JAVA_LONG, at + 8));
                }
                yield NO_REPLY;
            }
            case Abi.GETATTR -> getattr(r, path, out);
            case Abi.STATX -> statx(r, path, out);
            case Abi.SETATTR -> path == null ? -Errnos.ENOENT : setattr(r, path, out);
            case Abi.READLINK -> path == null ? -Errnos.ENOENT : readlink(path, r.who(), out);
            case Abi.SYMLINK -> {
                String name = r.string(0);
                String target = r.string(r.stringEnd(0));
                yield path == null ? -Errnos.ENOENT : create(child(path, name), new IoParameters.Create(Set.of(),
                        CreateDisposition.CREATE, Set.of(), FileKind.SYMBOLIC_LINK, target, null), -1, r.who(), out);
            }
            case Abi.MKDIR -> path == null ? -Errnos.ENOENT : create(child(path, r.string(Abi.MKDIR_IN.byteSize())),
                    new IoParameters.Create(Set.of(Access.READ_DATA), CreateDisposition.CREATE,
                            Set.of(CreateOption.DIRECTORY_FILE), FileKind.DIRECTORY, null,
                            FileMode.of(r.u32(Abi.MKDIR_IN, "mode") & 07777), 0, r.u32(Abi.MKDIR_IN, "umask") & 0777),
                    r.u32(Abi.MKDIR_IN, "mode") & 07777, r.who(), out);
            case Abi.MKNOD -> path == null ? -Errnos.ENOENT : mknod(r, path, out);
            case Abi.UNLINK, Abi.RMDIR -> path == null ? -Errnos.ENOENT : unlink(child(path, r.string(0)), r.who());
            case Abi.RENAME -> rename(r, path, r.u64(Abi.RENAME_IN, "newdir"), 0, Abi.RENAME_IN.byteSize());
            case Abi.RENAME2 -> rename(r, path, r.u64(Abi.RENAME2_IN, "newdir"), r.u32(Abi.RENAME2_IN, "flags"),
                    Abi.RENAME2_IN.byteSize());
            case Abi.LINK -> {
                String existing = inodes.path(r.u64(Abi.LINK_IN, "oldnodeid"));
                yield path == null || existing == null ? -Errnos.ENOENT
                        : create(child(path, r.string(Abi.LINK_IN.byteSize())), new IoParameters.Create(Set.of(),
                                CreateDisposition.CREATE, Set.of(), FileKind.HARD_LINK, existing, null), -2, r.who(), out);
            }
            case Abi.OPEN -> path == null ? -Errnos.ENOENT : open(path, r.nodeid(), r.u32(Abi.OPEN_IN, "flags"),
                    r.u32(Abi.OPEN_IN, "open_flags"), r.who(), out);
            case Abi.CREATE -> path == null ? -Errnos.ENOENT : createAndOpen(r, path, out);
            case Abi.READ -> read(r, out);
            case Abi.WRITE -> write(r, out);
            // a close(2) of one descriptor: only opens of files with lock owners ask for it (FOPEN_NOFLUSH otherwise),
            // and it ends the POSIX locks of the closing process (the handle's CLEANUP comes with RELEASE)
            case Abi.FLUSH -> {
                locks.closed(r.nodeid(), r.u64(Abi.FLUSH_IN, "lock_owner"), r.who());
                yield 0;
            }
            case Abi.GETLK -> getlk(r, out);
            case Abi.SETLK, Abi.SETLKW -> setlk(r);
            case Abi.RELEASE, Abi.RELEASEDIR -> {
                long fh = r.u64(Abi.RELEASE_IN, "fh");
                Open o = handles.remove(fh);
                if (o != null) {
                    if ((r.u32(Abi.RELEASE_IN, "release_flags") & Abi.RELEASE_FLOCK_UNLOCK) != 0) {
                        locks.closed(o.node, r.u64(Abi.RELEASE_IN, "lock_owner"), r.who()); // its flock(2) lock
                    }
                    locks.released(o.node, fh, r.who());
                    close(o.file, r.who());
                    if (o.how != null) {
                        paths.release(o.node, o.how);
                    }
                }
                yield 0;
            }
            case Abi.FSYNC, Abi.FSYNCDIR -> {
                Open o = handles.get(r.u64(Abi.FSYNC_IN, "fh"));
                yield o == null ? -Errnos.EBADF : send(o.file, new IoParameters.FlushBuffers(
                        (r.u32(Abi.FSYNC_IN, "fsync_flags") & Abi.FSYNC_FDATASYNC) != 0), r.who()).code();
            }
            case Abi.OPENDIR -> path == null ? -Errnos.ENOENT : opendir(path, r.nodeid(), r.who(), out);
            case Abi.READDIR -> readdir(r, null, out);
            case Abi.READDIRPLUS -> readdir(r, path, out);
            case Abi.STATFS -> statfs(r.who(), out);
            case Abi.ACCESS -> path == null ? -Errnos.ENOENT : access(path, r.u32(Abi.ACCESS_IN, "mask"), r.who());
            case Abi.GETXATTR -> path == null ? -Errnos.ENOENT : getxattr(r, path, out);
            case Abi.LISTXATTR -> path == null ? -Errnos.ENOENT : listxattr(r, path, out);
            case Abi.SETXATTR -> path == null ? -Errnos.ENOENT : setxattr(r, path);
            case Abi.REMOVEXATTR -> {
                String name = r.string(0);
                IoParameters.EaNamespace ns = IoParameters.EaNamespace.of(name);
                yield path == null ? -Errnos.ENOENT : ns == null ? -Errnos.EOPNOTSUPP
                        : onPath(path, r.who(), new IoParameters.SetEa(ns, name.substring(ns.prefix().length()), null)).code();
            }
            case Abi.FALLOCATE -> fallocate(r);
            case Abi.LSEEK -> lseek(r, out);
            case Abi.INTERRUPT -> NO_REPLY; // FuseMount interrupts the worker serving the request
            case Abi.DESTROY -> 0;
            default -> -Errnos.ENOSYS;
        };
    }

    // ---- names and attributes -------------------------------------------------------------------------

    private IoResult.FileAttributes attributes(String path, Requestor who, int[] error) {
        Done d = onPath(path, who, new IoParameters.QueryInformation(FileInformationClass.FileBasicInformation));
        if (!d.ok()) {
            error[0] = d.code();
            return null;
        }
        return d.data().result(IoResult.FileAttributes.class);
    }

    private int lookup(String path, Requestor who, MemorySegment out) {
        int[] error = new int[1];
        IoResult.FileAttributes a = attributes(path, who, error);
        if (a == null) {
            return error[0];
        }
        return entry(inodes.lookedUp(path, a.inode(), identity(a)), a, out);
    }

    /**
     * A file's identity beside its inode number: its type, which never changes for one file (the source may give a
     * deleted file's number to a new one; a kernel node of another type would be refused as a bad inode).
     */
    private static long identity(IoResult.FileAttributes a) {
        return a.kind().posixType() | 1;
    }

    private int entry(Inodes.Node n, IoResult.FileAttributes a, MemorySegment out) {
        out.asSlice(0, Abi.ENTRY_OUT.byteSize()).fill((byte) 0);
        out.set(JAVA_LONG, Abi.off(Abi.ENTRY_OUT, "nodeid"), n.id);
        out.set(JAVA_LONG, Abi.off(Abi.ENTRY_OUT, "entry_valid"), validSeconds);
        out.set(JAVA_LONG, Abi.off(Abi.ENTRY_OUT, "attr_valid"), validSeconds);
        attr(a, out.asSlice(Abi.off(Abi.ENTRY_OUT, "attr")));
        return (int) Abi.ENTRY_OUT.byteSize();
    }

    private int attrOut(IoResult.FileAttributes a, MemorySegment out) {
        out.asSlice(0, Abi.ATTR_OUT.byteSize()).fill((byte) 0);
        out.set(JAVA_LONG, Abi.off(Abi.ATTR_OUT, "attr_valid"), validSeconds);
        attr(a, out.asSlice(Abi.off(Abi.ATTR_OUT, "attr")));
        return (int) Abi.ATTR_OUT.byteSize();
    }

    private static void attr(IoResult.FileAttributes a, MemorySegment s) {
        s.set(JAVA_LONG, Abi.off(Abi.ATTR, "ino"), a.inode());
        s.set(JAVA_LONG, Abi.off(Abi.ATTR, "size"), a.size());
        s.set(JAVA_LONG, Abi.off(Abi.ATTR, "blocks"), blocks(a));
        time(s, "atime", "atimensec", a.lastAccessTime());
        time(s, "mtime", "mtimensec", a.lastModifiedTime());
        time(s, "ctime", "ctimensec", a.changeTime() != null ? a.changeTime() : a.lastModifiedTime());
        s.set(JAVA_INT, Abi.off(Abi.ATTR, "mode"), a.kind().posixType() | (a.mode() == null ? 0644 : a.mode().bits()));
        s.set(JAVA_INT, Abi.off(Abi.ATTR, "nlink"), a.links() < 0 ? 1 : a.links()); // 0: unlinked while open
        s.set(JAVA_INT, Abi.off(Abi.ATTR, "uid"), a.owner() == null ? 0 : a.owner().id());
        s.set(JAVA_INT, Abi.off(Abi.ATTR, "gid"), a.group() == null ? 0 : a.group().id());
        s.set(JAVA_INT, Abi.off(Abi.ATTR, "rdev"), kernelDevice(Math.max(0, a.rdev())));
        s.set(JAVA_INT, Abi.off(Abi.ATTR, "blksize"), 4096);
    }

    /** {@code st_blocks}: 512-byte units the file takes (its size rounded up where the backend does not say). */
    private static long blocks(IoResult.FileAttributes a) {
        return (a.allocationSize() >= 0 ? a.allocationSize() : a.size() + 511) / 512;
    }

    /** glibc's {@code dev_t} (makedev) in the kernel's 32-bit form (new_encode_dev). */
    static int kernelDevice(long dev) {
        long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
        long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
        return (int) ((minor & 0xff) | (major << 8) | ((minor & ~0xffL) << 12));
    }

    /** The kernel's 32-bit device number (new_decode_dev) as glibc's {@code dev_t} (makedev). */
    static long glibcDevice(long rdev) {
        long major = (rdev & 0xfff00) >>> 8;
        long minor = (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
        return ((major & 0xfff) << 8) | ((major & ~0xfffL) << 32) | (minor & 0xff) | ((minor & ~0xffL) << 12);
    }

    private static void time(MemorySegment s, String sec, String nsec, FileTime t) {
        java.time.Instant i = t.toInstant();
        s.set(JAVA_LONG, Abi.off(Abi.ATTR, sec), i.getEpochSecond());
        s.set(JAVA_INT, Abi.off(Abi.ATTR, nsec), i.getNano());
    }

    private int getattr(Request r, String path, MemorySegment out) {
        Done d = queried(r, Abi.GETATTR_IN, path);
        return d.ok() ? attrOut(d.data().result(IoResult.FileAttributes.class), out) : d.code();
    }

    /**
     * {@code STATX} (7.39), which the kernel sends when a caller asks for more than the basic fields (the birth time):
     * the attributes as GETATTR gives them, with the creation time as {@code stx_btime}.
     */
    private int statx(Request r, String path, MemorySegment out) {
        Done d = queried(r, Abi.STATX_IN, path);
        if (!d.ok()) {
            return d.code();
        }
        IoResult.FileAttributes a = d.data().result(IoResult.FileAttributes.class);
        out.asSlice(0, Abi.STATX_OUT.byteSize()).fill((byte) 0);
        out.set(JAVA_LONG, Abi.off(Abi.STATX_OUT, "attr_valid"), validSeconds);
        MemorySegment x = out.asSlice(Abi.off(Abi.STATX_OUT, "stat"), Abi.FUSE_STATX.byteSize());
        x.set(JAVA_INT, Abi.off(Abi.FUSE_STATX, "mask"), STATX_BASIC_STATS | STATX_BTIME);
        x.set(JAVA_INT, Abi.off(Abi.FUSE_STATX, "blksize"), 4096);
        x.set(JAVA_INT, Abi.off(Abi.FUSE_STATX, "nlink"), a.links() < 0 ? 1 : a.links());
        x.set(JAVA_INT, Abi.off(Abi.FUSE_STATX, "uid"), a.owner() == null ? 0 : a.owner().id());
        x.set(JAVA_INT, Abi.off(Abi.FUSE_STATX, "gid"), a.group() == null ? 0 : a.group().id());
        x.set(JAVA_SHORT, Abi.off(Abi.FUSE_STATX, "mode"),
                (short) (a.kind().posixType() | (a.mode() == null ? 0644 : a.mode().bits())));
        x.set(JAVA_LONG, Abi.off(Abi.FUSE_STATX, "ino"), a.inode());
        x.set(JAVA_LONG, Abi.off(Abi.FUSE_STATX, "size"), a.size());
        x.set(JAVA_LONG, Abi.off(Abi.FUSE_STATX, "blocks"), blocks(a));
        sxTime(x, "atime", a.lastAccessTime());
        sxTime(x, "btime", a.creationTime());
        sxTime(x, "ctime", a.changeTime() != null ? a.changeTime() : a.lastModifiedTime());
        sxTime(x, "mtime", a.lastModifiedTime());
        int rdev = kernelDevice(Math.max(0, a.rdev()));
        x.set(JAVA_INT, Abi.off(Abi.FUSE_STATX, "rdev_major"), (rdev >>> 8) & 0xfff);
        x.set(JAVA_INT, Abi.off(Abi.FUSE_STATX, "rdev_minor"), (rdev & 0xff) | ((rdev >>> 12) & 0xfff00));
        return (int) Abi.STATX_OUT.byteSize();
    }

    private static final int STATX_BASIC_STATS = 0x7ff, STATX_BTIME = 0x800;

    private static void sxTime(MemorySegment x, String field, FileTime t) {
        long at = Abi.off(Abi.FUSE_STATX, field);
        java.time.Instant i = t.toInstant();
        x.set(JAVA_LONG, at + Abi.off(Abi.SX_TIME, "tv_sec"), i.getEpochSecond());
        x.set(JAVA_INT, at + Abi.off(Abi.SX_TIME, "tv_nsec"), i.getNano());
    }

    /** The attributes GETATTR and STATX ask for: of the open file the request names, else of the node's path. */
    private Done queried(Request r, java.lang.foreign.StructLayout in, String path) {
        IoParameters q = new IoParameters.QueryInformation(FileInformationClass.FileBasicInformation);
        Open o = (r.u32(in, "getattr_flags") & Abi.GETATTR_FH) != 0 ? handles.get(r.u64(in, "fh")) : null;
        Done d = o != null ? send(o.file, q, r.who()) : path != null ? onPath(path, r.who(), q) : null;
        if (d == null || d.code() == -Errnos.ENOENT) {
            // fstat of a file unlinked while open: the kernel names no handle, the node's last name is gone
            Open any = openOf(r.nodeid());
            if (any == null) {
                return new Done(-Errnos.ENOENT, null);
            }
            d = send(any.file, q, r.who());
        }
        return d;
    }

    private int setattr(Request r, String path, MemorySegment out) {
        int valid = r.u32(Abi.SETATTR_IN, "valid");
        List<IoParameters> ops = new ArrayList<>(3);
        Principal owner = (valid & Abi.FATTR_UID) != 0 ? Principal.ofId(r.u32(Abi.SETATTR_IN, "uid")) : null;
        Principal group = (valid & Abi.FATTR_GID) != 0 ? Principal.ofId(r.u32(Abi.SETATTR_IN, "gid")) : null;
        if (owner != null || group != null) {
            ops.add(IoParameters.SetSecurity.chown(owner, group));
        }
        if ((valid & Abi.FATTR_MODE) != 0) {
            ops.add(IoParameters.SetSecurity.mode(FileMode.of(r.u32(Abi.SETATTR_IN, "mode"))));
        }
        FileTime atime = setTime(r, valid, Abi.FATTR_ATIME, Abi.FATTR_ATIME_NOW, "atime", "atimensec");
        FileTime mtime = setTime(r, valid, Abi.FATTR_MTIME, Abi.FATTR_MTIME_NOW, "mtime", "mtimensec");
        if (atime != null || mtime != null) {
            ops.add(new IoParameters.SetInformation(new FileInformation.Basic(null, atime, mtime, null)));
        }
        Open o = (valid & Abi.FATTR_FH) != 0 ? handles.get(r.u64(Abi.SETATTR_IN, "fh")) : null;
        if ((valid & Abi.FATTR_SIZE) != 0) {
            IoParameters eof = new IoParameters.SetInformation(new FileInformation.EndOfFile(r.u64(Abi.SETATTR_IN, "size")));
            Done d = o != null ? send(o.file, eof, r.who()) : onPath(path, new IoParameters.Create(Set.of(Access.WRITE_DATA),
                    CreateDisposition.OPEN, Set.of(CreateOption.NON_DIRECTORY_FILE), FileKind.FILE, null, null), r.who(),
                    List.of(eof));
            if (!d.ok()) {
                return d.code();
            }
            if ((valid & Abi.FATTR_KILL_SUIDGID) != 0) {
                killSuidSgid(path, r.who());
            }
        }
        if (!ops.isEmpty()) {
            Done d = onPath(path, PathCalls.META_OPEN, r.who(), ops);
            if (!d.ok()) {
                return d.code();
            }
        }
        int[] error = new int[1];
        IoResult.FileAttributes a = attributes(path, r.who(), error);
        return a == null ? error[0] : attrOut(a, out);
    }

    private static FileTime setTime(Request r, int valid, int bit, int nowBit, String sec, String nsec) {
        if ((valid & nowBit) != 0) {
            return FileTime.from(java.time.Instant.now());
        }
        if ((valid & bit) == 0) {
            return null;
        }
        return FileTime.from(java.time.Instant.ofEpochSecond(r.u64(Abi.SETATTR_IN, sec),
                Integer.toUnsignedLong(r.u32(Abi.SETATTR_IN, nsec))));
    }

    private int readlink(String path, Requestor who, MemorySegment out) {
        Done d = onPath(path, who, IoParameters.FileSystemControl.getReparsePoint());
        if (!d.ok()) {
            return d.code();
        }
        byte[] target = d.data().result(IoResult.ReparsePoint.class).target().getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(target, 0, out, JAVA_BYTE, 0, target.length);
        return target.length;
    }

    /**
     * Creates an entry and answers with it, all on the one open of the new entry: the create, the owner and mode it
     * must get, its attributes. A new entry belongs to its creator (the daemon runs as root) and gets exactly the mode
     * asked ({@code mode} ≥ 0: the kernel applied the caller's umask already; the daemon's own must not apply again);
     * a hard link ({@code mode} −2) keeps its file's owner and mode.
     */
    private int create(String path, IoParameters.Create create, int mode, Requestor who, MemorySegment out) {
        FileObject fo = new FileObject(path);
        Done d = send(fo, create, who);
        if (!d.ok()) {
            return d.code();
        }
        try {
            return made(fo, path, mode, who, out);
        } finally {
            close(fo, who);
        }
    }

    /**
     * A new entry, open as {@code fo}: its owner (the caller's), its attributes; then the entry reply. The backend gave
     * it its mode (the umask, or the directory's default ACL); a change of owner clears a file's set-user-ID and
     * set-group-ID bits, which are then set again as {@code mode} asked.
     */
    private int made(FileObject fo, String path, int mode, Requestor who, MemorySegment out) {
        if (mode == -2 || who.uid() <= 0 && who.gid() <= 0) {
            return madeEntry(fo, path, who, out);
        }
        send(fo, IoParameters.SetSecurity.chown(who.uid() > 0 ? Principal.ofId(who.uid()) : null,
                who.gid() > 0 ? Principal.ofId(who.gid()) : null), who);
        Done q = send(fo, new IoParameters.QueryInformation(FileInformationClass.FileBasicInformation), who);
        if (!q.ok()) {
            return q.code();
        }
        IoResult.FileAttributes a = q.data().result(IoResult.FileAttributes.class);
        int lost = mode < 0 || a.mode() == null || a.kind() == FileKind.DIRECTORY ? 0
                : mode & (FileMode.SET_USER_ID | FileMode.SET_GROUP_ID) & ~a.mode().bits();
        if (lost == 0) {
            return entry(inodes.lookedUp(path, a.inode(), identity(a)), a, out);
        }
        send(fo, IoParameters.SetSecurity.mode(new FileMode(a.mode().bits() | lost)), who);
        return madeEntry(fo, path, who, out);
    }

    private int madeEntry(FileObject fo, String path, Requestor who, MemorySegment out) {
        Done q = send(fo, new IoParameters.QueryInformation(FileInformationClass.FileBasicInformation), who);
        if (!q.ok()) {
            return q.code();
        }
        IoResult.FileAttributes a = q.data().result(IoResult.FileAttributes.class);
        return entry(inodes.lookedUp(path, a.inode(), identity(a)), a, out);
    }

    /** {@code MKNOD}: a FIFO, a socket (what {@code bind(2)} of a Unix socket makes), a device, or a plain file. */
    private int mknod(Request r, String dir, MemorySegment out) {
        int mode = r.u32(Abi.MKNOD_IN, "mode");
        long rdev = Integer.toUnsignedLong(r.u32(Abi.MKNOD_IN, "rdev"));
        String path = child(dir, r.string(Abi.MKNOD_IN.byteSize()));
        FileKind kind = FileKind.ofPosixMode(mode);
        if (kind == FileKind.DIRECTORY || kind == FileKind.SYMBOLIC_LINK
                || kind == FileKind.FILE && (mode & 0170000) != 0100000 && (mode & 0170000) != 0) {
            return -Errnos.EINVAL; // mknod makes none of these
        }
        long dev = glibcDevice(rdev);
        return create(path, new IoParameters.Create(kind == FileKind.FILE ? Set.of(Access.WRITE_DATA) : Set.of(),
                CreateDisposition.CREATE, Set.of(), kind, null, FileMode.of(mode & 07777), dev,
                r.u32(Abi.MKNOD_IN, "umask") & 0777), mode & 07777, r.who(), out);
    }

    private int unlink(String path, Requestor who) {
        int code = onPath(path, who, new IoParameters.SetInformation(new FileInformation.Disposition(true))).code();
        if (code == 0) {
            inodes.unlinked(path);
        }
        return code;
    }

    private int rename(Request r, String path, long newdir, int flags, long namesAt) {
        String to = inodes.path(newdir);
        if (path == null || to == null) {
            return -Errnos.ENOENT;
        }
        if ((flags & ~(Abi.RENAME_NOREPLACE | Abi.RENAME_EXCHANGE | Abi.RENAME_WHITEOUT)) != 0
                || (flags & Abi.RENAME_EXCHANGE) != 0 && (flags & ~Abi.RENAME_EXCHANGE) != 0) {
            return -Errnos.EINVAL; // as renameat2: EXCHANGE goes with no other flag
        }
        IoParameters.RenameKind kind = (flags & Abi.RENAME_EXCHANGE) != 0 ? IoParameters.RenameKind.EXCHANGE
                : (flags & Abi.RENAME_WHITEOUT) != 0 ? IoParameters.RenameKind.WHITEOUT : IoParameters.RenameKind.MOVE;
        String oldName = r.string(namesAt);
        String newName = r.string(r.stringEnd(namesAt));
        String from = child(path, oldName);
        String target = child(to, newName);
        FileInformation.Rename rename = new FileInformation.Rename(target, (flags & Abi.RENAME_NOREPLACE) == 0, kind);
        int code = onPath(from, r.who(), new IoParameters.SetInformation(rename)).code();
        if (code == 0) {
            if (kind == IoParameters.RenameKind.EXCHANGE) {
                inodes.exchanged(from, target);
            } else {
                inodes.renamed(from, target);
            }
        }
        return code;
    }

    // ---- files ----------------------------------------------------------------------------------------

    private static final int O_ACCMODE = 3, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0100, O_EXCL = 0200, O_TRUNC = 01000,
            O_APPEND = 02000, O_SYNC = 04010000, O_DSYNC = 010000;

    private static Set<Access> access(int flags) {
        Set<Access> a = EnumSet.noneOf(Access.class);
        int mode = flags & O_ACCMODE;
        if (mode == 0 || mode == O_RDWR) {
            a.add(Access.READ_DATA);
        }
        if (mode == O_WRONLY || mode == O_RDWR) {
            a.add(Access.WRITE_DATA); // the kernel gives appends their offsets
        }
        return a;
    }

    private static Set<CreateOption> options(int flags) {
        Set<CreateOption> o = EnumSet.of(CreateOption.NON_DIRECTORY_FILE);
        if ((flags & O_SYNC) == O_SYNC) {
            o.add(CreateOption.WRITE_THROUGH);
        } else if ((flags & O_DSYNC) != 0) {
            o.add(CreateOption.SYNC_DATA_ONLY);
        }
        return o;
    }

    /**
     * The data path the attached instances ask of a new open: passthrough when none filters reads or writes; the
     * page cache when every one that does skips cached I/O ({@code SKIP_CACHED_IO}: page fills are enough); else
     * direct, so every read and write reaches them.
     */
    private DataPaths.Mode wantedMode() {
        if (!volume.isFiltered(MajorFunction.READ) && !volume.isFiltered(MajorFunction.WRITE)) {
            return DataPaths.Mode.PASSTHROUGH;
        }
        return volume.isFilteredWithout(MajorFunction.READ, OperationFlag.SKIP_CACHED_IO)
                || volume.isFilteredWithout(MajorFunction.WRITE, OperationFlag.SKIP_CACHED_IO)
                ? DataPaths.Mode.DIRECT : DataPaths.Mode.PAGE_CACHE;
    }

    /** An open handle of a node, if the kernel holds one. */
    private Open openOf(long node) {
        for (Open o : handles.values()) {
            if (o.node == node) {
                return o;
            }
        }
        return null;
    }

    /** The OPEN/CREATE/OPENDIR reply of a new handle; a file's gets its data path ({@code file}), a directory's none. */
    private int opened(FileObject fo, long node, MemorySegment out, boolean file) {
        DataPaths.Opened how = file ? paths.open(node, wantedMode(), PosixBackend.descriptorOf(fo)) : null;
        long fh = nextHandle.getAndIncrement();
        handles.put(fh, new Open(fo, node, how));
        out.asSlice(0, Abi.OPEN_OUT.byteSize()).fill((byte) 0);
        out.set(JAVA_LONG, Abi.off(Abi.OPEN_OUT, "fh"), fh);
        // no FLUSH at each close(2) unless the file has lock owners, whose locks a close ends
        out.set(JAVA_INT, Abi.off(Abi.OPEN_OUT, "open_flags"), (how == null ? 0 : how.openFlags())
                | (locks.has(node) ? 0 : Abi.FOPEN_NOFLUSH));
        out.set(JAVA_INT, Abi.off(Abi.OPEN_OUT, "backing_id"), how == null ? 0 : how.backingId());
        return (int) Abi.OPEN_OUT.byteSize();
    }

    private int open(String path, long node, int flags, int openFlags, Requestor who, MemorySegment out) {
        boolean truncate = (flags & O_TRUNC) != 0 && (flags & O_ACCMODE) != 0;
        FileObject fo = new FileObject(path);
        Done d = send(fo, new IoParameters.Create(access(flags), truncate ? CreateDisposition.OVERWRITE : CreateDisposition.OPEN,
                options(flags), FileKind.FILE, null, null), who);
        if (d.ok() && truncate && (openFlags & Abi.OPEN_KILL_SUIDGID) != 0) {
            killSuidSgid(path, who);
        }
        return d.ok() ? opened(fo, node, out, true) : d.code();
    }

    private int createAndOpen(Request r, String dir, MemorySegment out) {
        int flags = r.u32(Abi.CREATE_IN, "flags");
        int mode = r.u32(Abi.CREATE_IN, "mode") & 07777;
        String path = child(dir, r.string(Abi.CREATE_IN.byteSize()));
        CreateDisposition disposition = (flags & O_EXCL) != 0 ? CreateDisposition.CREATE
                : (flags & O_TRUNC) != 0 ? CreateDisposition.OVERWRITE_IF : CreateDisposition.OPEN_IF;
        Set<Access> access = EnumSet.copyOf(access(flags));
        access.add(Access.WRITE_DATA); // O_CREAT with O_RDONLY still creates
        FileObject fo = new FileObject(path);
        Done d = send(fo, new IoParameters.Create(access, disposition, options(flags), FileKind.FILE, null,
                FileMode.of(mode), 0, r.u32(Abi.CREATE_IN, "umask") & 0777), r.who());
        if (!d.ok()) {
            return d.code();
        }
        int entryLength = made(fo, path, mode, r.who(), out);
        if (entryLength < 0) {
            close(fo, r.who());
            return entryLength;
        }
        long node = out.get(JAVA_LONG, Abi.off(Abi.ENTRY_OUT, "nodeid"));
        return entryLength + opened(fo, node, out.asSlice(entryLength), true);
    }

    private int read(Request r, MemorySegment out) {
        Open o = handles.get(r.u64(Abi.READ_IN, "fh"));
        if (o == null) {
            return -Errnos.EBADF;
        }
        int size = (int) Math.min(r.u32(Abi.READ_IN, "size") & 0xffffffffL, out.byteSize());
        java.nio.ByteBuffer into = out.asSlice(0, size).asByteBuffer();
        CallbackData d = new CallbackData(o.file, new IoParameters.Read(r.u64(Abi.READ_IN, "offset"), into, o.ioPath), r.who());
        NtStatus s = volume.perform(d);
        if (s.equals(NtStatus.END_OF_FILE)) {
            return 0;
        }
        return s.isFailure() ? -PathCalls.errno(s, d) : (int) d.information();
    }

    private int write(Request r, MemorySegment out) {
        Open o = handles.get(r.u64(Abi.WRITE_IN, "fh"));
        if (o == null) {
            return -Errnos.EBADF;
        }
        int size = r.u32(Abi.WRITE_IN, "size");
        java.nio.ByteBuffer from = r.buf().asSlice(HEADER + Abi.WRITE_IN.byteSize(), size).asByteBuffer();
        CallbackData d = new CallbackData(o.file, new IoParameters.Write(r.u64(Abi.WRITE_IN, "offset"), from, o.ioPath), r.who());
        NtStatus s = volume.perform(d);
        if (s.isFailure()) {
            return -PathCalls.errno(s, d);
        }
        if ((r.u32(Abi.WRITE_IN, "write_flags") & Abi.WRITE_KILL_SUIDGID) != 0) {
            killSuidSgid(o.file.path(), r.who());
        }
        out.asSlice(0, Abi.WRITE_OUT.byteSize()).fill((byte) 0);
        out.set(JAVA_INT, Abi.off(Abi.WRITE_OUT, "size"), (int) d.information());
        return (int) Abi.WRITE_OUT.byteSize();
    }

    private static final int FALLOC_FL_KEEP_SIZE = 0x01, FALLOC_FL_PUNCH_HOLE = 0x02, FALLOC_FL_ZERO_RANGE = 0x10,
            SEEK_DATA = 3, SEEK_HOLE = 4;

    /** {@code FALLOCATE}: the range's blocks reserved, freed or zeroed, as a {@code FileAllocationInformation}. */
    private int fallocate(Request r) {
        Open o = handles.get(r.u64(Abi.FALLOCATE_IN, "fh"));
        if (o == null) {
            return -Errnos.EBADF;
        }
        int mode = r.u32(Abi.FALLOCATE_IN, "mode");
        if ((mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) != 0) {
            return -Errnos.EOPNOTSUPP; // collapse, insert, unshare: not in the model
        }
        IoParameters.AllocationKind kind = (mode & FALLOC_FL_PUNCH_HOLE) != 0 ? IoParameters.AllocationKind.PUNCH_HOLE
                : (mode & FALLOC_FL_ZERO_RANGE) != 0 ? IoParameters.AllocationKind.ZERO_RANGE
                : IoParameters.AllocationKind.ALLOCATE;
        long offset = r.u64(Abi.FALLOCATE_IN, "offset");
        long length = r.u64(Abi.FALLOCATE_IN, "length");
        if (offset < 0 || length <= 0) {
            return -Errnos.EINVAL;
        }
        return send(o.file, new IoParameters.SetInformation(new FileInformation.Allocation(offset, length, kind,
                (mode & FALLOC_FL_KEEP_SIZE) != 0)), r.who()).code();
    }

    /** {@code LSEEK} with {@code SEEK_DATA} or {@code SEEK_HOLE} (the kernel answers the others itself). */
    private int lseek(Request r, MemorySegment out) {
        Open o = handles.get(r.u64(Abi.LSEEK_IN, "fh"));
        if (o == null) {
            return -Errnos.EBADF;
        }
        int whence = r.u32(Abi.LSEEK_IN, "whence");
        if (whence != SEEK_DATA && whence != SEEK_HOLE) {
            return -Errnos.EINVAL;
        }
        CallbackData d = new CallbackData(o.file, IoParameters.FileSystemControl.queryAllocatedRanges(
                r.u64(Abi.LSEEK_IN, "offset"), whence == SEEK_HOLE), r.who());
        NtStatus s = volume.perform(d);
        if (s.equals(NtStatus.END_OF_FILE)) {
            return -Errnos.ENXIO;
        }
        if (s.isFailure()) {
            return -PathCalls.errno(s, d);
        }
        out.set(JAVA_LONG, Abi.off(Abi.LSEEK_OUT, "offset"), d.result(IoResult.Offset.class).offset());
        return (int) Abi.LSEEK_OUT.byteSize();
    }

    // ---- directories ----------------------------------------------------------------------------------

    private int opendir(String path, long node, Requestor who, MemorySegment out) {
        FileObject fo = new FileObject(path);
        Done d = send(fo, new IoParameters.Create(Set.of(Access.READ_DATA), CreateDisposition.OPEN,
                Set.of(CreateOption.DIRECTORY_FILE), FileKind.DIRECTORY, null, null), who);
        return d.ok() ? opened(fo, node, out, false) : d.code();
    }

    /** {@code DT_*} of a kind. */
    /** The dirent type of an entry's kind; {@code DT_UNKNOWN} (0) when the listing did not say. */
    private static int direntType(FileKind k) {
        return k == null ? 0 : k.posixType() >>> 12;
    }

    /**
     * What a write, a truncate or an open with {@code O_TRUNC} by a caller without {@code CAP_FSETID} does on Linux
     * (asked for with {@code FUSE_HANDLE_KILLPRIV_V2}; the daemon, as root, would not): set-user-ID goes, and
     * set-group-ID when the group may execute.
     */
    private void killSuidSgid(String path, Requestor who) {
        int[] error = new int[1];
        IoResult.FileAttributes a = attributes(path, who, error);
        if (a == null || a.mode() == null || a.kind() != FileKind.FILE) {
            return;
        }
        int bits = a.mode().bits();
        int kill = FileMode.SET_USER_ID | ((bits & 010) != 0 ? FileMode.SET_GROUP_ID : 0);
        if ((bits & kill) != 0) {
            onPath(path, who, IoParameters.SetSecurity.mode(new FileMode(bits & ~kill)));
        }
    }

    /**
     * READDIR, and READDIRPLUS (the directory's path {@code dir} given): each entry with its node and attributes, so {@code ls -l} needs no LOOKUP
     * per name. An entry given with a node counts as a lookup of it (the kernel forgets it later); {@code .},
     * {@code ..} and an entry whose attributes are missing go with node 0, which the kernel takes as "no node given".
     */
    private int readdir(Request r, String dir, MemorySegment out) {
        boolean plus = dir != null;
        Open o = handles.get(r.u64(Abi.READ_IN, "fh"));
        if (o == null) {
            return -Errnos.EBADF;
        }
        long offset = r.u64(Abi.READ_IN, "offset");
        if (offset == 0 || o.listing == null) {
            Done d = send(o.file, new IoParameters.DirectoryControl(null, plus), r.who());
            if (!d.ok()) {
                return d.code();
            }
            List<IoResult.DirectoryEntry> all = new ArrayList<>();
            all.add(new IoResult.DirectoryEntry(".", FileKind.DIRECTORY, -1));
            all.add(new IoResult.DirectoryEntry("..", FileKind.DIRECTORY, -1));
            all.addAll(d.data().result(IoResult.DirectoryListing.class).entries());
            o.listing = all;
        }
        List<IoResult.DirectoryEntry> all = o.listing;
        long size = Math.min(r.u32(Abi.READ_IN, "size") & 0xffffffffL, out.byteSize());
        long head = plus ? Abi.ENTRY_OUT.byteSize() : 0;
        long at = 0;
        for (int i = (int) offset; i < all.size(); i++) {
            IoResult.DirectoryEntry entry = all.get(i);
            byte[] name = entry.name().getBytes(StandardCharsets.UTF_8);
            long record = Abi.align8(head + Abi.DIRENT.byteSize() + name.length);
            if (at + record > size) {
                break;
            }
            MemorySegment e = out.asSlice(at, record);
            e.fill((byte) 0);
            long ino = 0xffffffffL; // unknown without attributes: ls -i asks GETATTR/LOOKUP
            if (plus && entry.attributes() != null) {
                IoResult.FileAttributes a = entry.attributes();
                entry(inodes.lookedUp(child(dir, entry.name()), a.inode(), identity(a)), a, e);
                ino = a.inode();
            }
            MemorySegment d = e.asSlice(head);
            d.set(JAVA_LONG, Abi.off(Abi.DIRENT, "ino"), ino);
            d.set(JAVA_LONG, Abi.off(Abi.DIRENT, "off"), i + 1);
            d.set(JAVA_INT, Abi.off(Abi.DIRENT, "namelen"), name.length);
            d.set(JAVA_INT, Abi.off(Abi.DIRENT, "type"), direntType(entry.kind()));
            MemorySegment.copy(name, 0, d, JAVA_BYTE, Abi.DIRENT.byteSize(), name.length);
            at += record;
        }
        return (int) at;
    }

    // ---- POSIX record locks ------------------------------------------------------------------------------

    /** What a SETLKW that must wait is handed to: it answers the request itself, off the workers. */
    interface Deferrer {
        void answerLater(long unique, java.util.function.IntSupplier answer);
    }

    private volatile Deferrer deferrer = (unique, answer) -> { throw new IllegalStateException("no deferrer"); };

    void deferWith(Deferrer d) {
        deferrer = d;
    }

    /** {@code OFFSET_MAX}: a lock's end "to the end of the file and beyond". */
    private static final long OFFSET_MAX = Long.MAX_VALUE;

    private static long lockLength(long start, long end) {
        return end == OFFSET_MAX ? Long.MAX_VALUE : end - start + 1;
    }

    /** {@code GETLK}: the lock in the way, tested through the owner's own locking handle (its own locks are no conflict). */
    private int getlk(Request r, MemorySegment out) {
        LockRequest q = LockRequest.of(r, handles);
        if (q == null) {
            return -Errnos.EBADF;
        }
        FileObject through = locks.holder(q.open.node, q.owner);
        Done d = send(through != null ? through : q.open.file,
                IoParameters.LockControl.test(q.start, q.length, q.type == F_RDLCK), r.who());
        if (!d.ok()) {
            return d.code();
        }
        IoResult.LockConflict c = d.data().result() instanceof IoResult.LockConflict in ? in : null;
        MemorySegment f = out.asSlice(Abi.off(Abi.LK_OUT, "lk"), Abi.FILE_LOCK.byteSize());
        f.fill((byte) 0);
        if (c == null) {
            f.set(JAVA_INT, Abi.off(Abi.FILE_LOCK, "type"), F_UNLCK);
        } else {
            f.set(JAVA_LONG, Abi.off(Abi.FILE_LOCK, "start"), c.offset());
            f.set(JAVA_LONG, Abi.off(Abi.FILE_LOCK, "end"),
                    c.length() == Long.MAX_VALUE ? OFFSET_MAX : c.offset() + c.length() - 1);
            f.set(JAVA_INT, Abi.off(Abi.FILE_LOCK, "type"), c.shared() ? F_RDLCK : F_WRLCK);
            f.set(JAVA_INT, Abi.off(Abi.FILE_LOCK, "pid"), c.pid());
        }
        return (int) Abi.LK_OUT.byteSize();
    }

    /**
     * {@code SETLK}/{@code SETLKW}: a lock or an unlock of the owner's range (or, {@code FUSE_LK_FLOCK}, a {@code flock(2)}
     * lock of the whole file, owned by the open file: {@code LockControl.wholeFile}), as an {@code IRP_MJ_LOCK_CONTROL} through
     * the filters on the owner's locking handle (one per file and lock owner, so a process's locks are one set, as
     * POSIX has them, and another process's conflict with them and with locks taken on the source itself). A lock
     * that may wait is answered off the workers, so waiting locks never leave none to serve the unlock they wait for.
     */
    private int setlk(Request r) {
        // everything read now: the worker's buffer holds the next request by the time a deferred lock runs
        LockRequest q = LockRequest.of(r, handles);
        if (q == null) {
            return -Errnos.EBADF;
        }
        int opcode = r.opcode();
        Requestor who = r.who();
        boolean shared = q.type == F_RDLCK;
        if (q.type == F_UNLCK) {
            FileObject holder = locks.holder(q.open.node, q.owner);
            return holder == null ? 0 : send(holder, q.wholeFile ? IoParameters.LockControl.wholeFile(false, false, true)
                    : new IoParameters.LockControl(q.start, q.length, false, false), who).code();
        }
        java.util.function.IntSupplier lock = () -> {
            FileObject holder;
            try {
                holder = locks.holderFor(q.open.node, q.owner, q.fh, inodes.path(q.open.node), who);
            } catch (LockHolders.Refused e) {
                return e.code;
            }
            boolean now = opcode == Abi.SETLK;
            return send(holder, q.wholeFile ? IoParameters.LockControl.wholeFile(shared, true, now)
                    : new IoParameters.LockControl(q.start, q.length, shared, true, now), who).code();
        };
        if (opcode == Abi.SETLK) {
            return lock.getAsInt();
        }
        deferrer.answerLater(r.unique(), lock);
        return NO_REPLY;
    }

    private static final int F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;

    /** A GETLK/SETLK/SETLKW request: its open, its range ({@code length} to the end and beyond: {@link Long#MAX_VALUE}). */
    private record LockRequest(Open open, long fh, long owner, long start, long length, int type, boolean wholeFile) {
        static LockRequest of(Request r, Map<Long, Open> handles) {
            long fh = r.u64(Abi.LK_IN, "fh");
            Open o = handles.get(fh);
            if (o == null) {
                return null;
            }
            long lk = HEADER + Abi.off(Abi.LK_IN, "lk");
            long start = r.buf().get(JAVA_LONG, lk + Abi.off(Abi.FILE_LOCK, "start"));
            long end = r.buf().get(JAVA_LONG, lk + Abi.off(Abi.FILE_LOCK, "end"));
            return new LockRequest(o, fh, r.u64(Abi.LK_IN, "owner"), start, lockLength(start, end),
                    r.buf().get(JAVA_INT, lk + Abi.off(Abi.FILE_LOCK, "type")),
                    (r.u32(Abi.LK_IN, "lk_flags") & Abi.LK_FLOCK) != 0);
        }
    }

    private final LockHolders locks = new LockHolders();

    /**
     * The lock owners of each node, each with the handle the daemon locks through (opened for reading and writing,
     * through the filters, as the owner's first lock asks). A close by the owner (FLUSH) or the release of the open
     * its locks were taken through ends them all and closes the handle.
     */
    private final class LockHolders {
        private final Map<Long, Map<Long, Holder>> byNode = new HashMap<>();

        private static final class Holder {
            final FileObject file;
            final Set<Long> through = new java.util.HashSet<>();

            Holder(FileObject file) {
                this.file = file;
            }
        }

        static final class Refused extends Exception {
            final int code;

            Refused(int code) {
                super(null, null, false, false);
                this.code = code;
            }
        }

        synchronized boolean has(long node) {
            return byNode.containsKey(node);
        }

        synchronized FileObject holder(long node, long owner) {
            Map<Long, Holder> owners = byNode.get(node);
            Holder h = owners == null ? null : owners.get(owner);
            return h == null ? null : h.file;
        }

        FileObject holderFor(long node, long owner, long fh, String path, Requestor who) throws Refused {
            synchronized (this) {
                Map<Long, Holder> owners = byNode.get(node);
                Holder h = owners == null ? null : owners.get(owner);
                if (h != null) {
                    h.through.add(fh);
                    return h.file;
                }
            }
            if (path == null) {
                throw new Refused(-Errnos.ENOENT);
            }
            FileObject fo = new FileObject(path);
            Done d = send(fo, new IoParameters.Create(Set.of(Access.READ_DATA, Access.WRITE_DATA), CreateDisposition.OPEN,
                    Set.of(), FileKind.FILE, null, null), who);
            if (!d.ok()) {
                fo = new FileObject(path);
                d = send(fo, new IoParameters.Create(Set.of(Access.READ_DATA), CreateDisposition.OPEN, Set.of(),
                        FileKind.FILE, null, null), who); // a read-only file takes read locks
                if (!d.ok()) {
                    throw new Refused(d.code());
                }
            }
            FileObject other;
            synchronized (this) {
                Holder h = byNode.computeIfAbsent(node, n -> new HashMap<>()).get(owner);
                if (h == null) {
                    h = new Holder(fo);
                    byNode.get(node).put(owner, h);
                    h.through.add(fh);
                    return fo;
                }
                h.through.add(fh); // another thread of the owner made one meanwhile
                other = h.file;
            }
            close(fo, who);
            return other;
        }

        /** FLUSH: the owner closed a descriptor of the file; POSIX ends all its locks on it. */
        void closed(long node, long owner, Requestor who) {
            Holder h;
            synchronized (this) {
                Map<Long, Holder> owners = byNode.get(node);
                h = owners == null ? null : owners.remove(owner);
                if (owners != null && owners.isEmpty()) {
                    byNode.remove(node);
                }
            }
            end(h, who);
        }

        /** RELEASE of {@code fh}: the owners that locked through it have closed it. */
        void released(long node, long fh, Requestor who) {
            List<Holder> ended = new ArrayList<>();
            synchronized (this) {
                Map<Long, Holder> owners = byNode.get(node);
                if (owners == null) {
                    return;
                }
                owners.values().removeIf(h -> h.through.contains(fh) && ended.add(h));
                if (owners.isEmpty()) {
                    byNode.remove(node);
                }
            }
            for (Holder h : ended) {
                end(h, who);
            }
        }

        private void end(Holder h, Requestor who) {
            if (h != null) {
                send(h.file, new IoParameters.LockControl(0, Long.MAX_VALUE, false, false), who);
                close(h.file, who);
            }
        }

        /** At unmount: every handle closed. */
        void closeAll() {
            List<Holder> all = new ArrayList<>();
            synchronized (this) {
                byNode.values().forEach(m -> all.addAll(m.values()));
                byNode.clear();
            }
            for (Holder h : all) {
                close(h.file, Requestor.self());
            }
        }
    }

    private int statfs(Requestor who, MemorySegment out) {
        Done d = onPath("/", who, new IoParameters.QueryVolumeInformation(
                IoParameters.FsInformationClass.FileFsFullSizeInformation));
        if (!d.ok()) {
            return d.code();
        }
        IoResult.VolumeInformation v = d.data().result(IoResult.VolumeInformation.class);
        long block = 4096;
        out.asSlice(0, Abi.KSTATFS.byteSize()).fill((byte) 0);
        out.set(JAVA_LONG, Abi.off(Abi.KSTATFS, "blocks"), v.totalBytes() / block);
        out.set(JAVA_LONG, Abi.off(Abi.KSTATFS, "bfree"), v.freeBytes() / block);
        out.set(JAVA_LONG, Abi.off(Abi.KSTATFS, "bavail"), v.usableBytes() / block);
        out.set(JAVA_INT, Abi.off(Abi.KSTATFS, "bsize"), (int) block);
        out.set(JAVA_INT, Abi.off(Abi.KSTATFS, "frsize"), (int) block);
        out.set(JAVA_INT, Abi.off(Abi.KSTATFS, "namelen"), 255);
        return (int) Abi.KSTATFS.byteSize();
    }

    private int access(String path, int mask, Requestor who) {
        Done d = onPath(path, who, new IoParameters.QueryInformation(FileInformationClass.FileAccessInformation));
        if (!d.ok()) {
            return d.code();
        }
        IoResult.AccessInformation may = d.data().result(IoResult.AccessInformation.class);
        boolean ok = ((mask & 4) == 0 || may.read()) && ((mask & 2) == 0 || may.write()) && ((mask & 1) == 0 || may.execute());
        return ok ? 0 : -Errnos.EACCES;
    }

    // ---- extended attributes ------------------------------------------------------

    /** A getxattr or listxattr reply: the size alone when the caller asked for it (size 0), else the bytes. */
    private static int sized(Request r, byte[] value, MemorySegment out) {
        long asked = r.u32(Abi.GETXATTR_IN, "size") & 0xffffffffL;
        if (asked == 0) {
            out.asSlice(0, Abi.GETXATTR_OUT.byteSize()).fill((byte) 0);
            out.set(JAVA_INT, Abi.off(Abi.GETXATTR_OUT, "size"), value.length);
            return (int) Abi.GETXATTR_OUT.byteSize();
        }
        if (asked < value.length) {
            return -Errnos.ERANGE;
        }
        MemorySegment.copy(value, 0, out, JAVA_BYTE, 0, value.length);
        return value.length;
    }

    /**
     * Every namespace reaches the backend: the kernel checked before it sent the request that the caller may read or
     * change {@code trusted.} (CAP_SYS_ADMIN) and {@code security.} names, and with FUSE_POSIX_ACL it checks and
     * keeps the ACLs ({@code system.posix_acl_access}, {@code _default}) itself.
     */
    private int getxattr(Request r, String path, MemorySegment out) {
        String name = r.string(Abi.GETXATTR_IN.byteSize());
        IoParameters.EaNamespace ns = IoParameters.EaNamespace.of(name);
        if (ns == null) {
            return -Errnos.EOPNOTSUPP;
        }
        Done d = onPath(path, r.who(), new IoParameters.QueryEa(ns, name.substring(ns.prefix().length())));
        return d.ok() ? sized(r, d.data().result(IoResult.EaValue.class).value(), out) : d.code();
    }

    private int listxattr(Request r, String path, MemorySegment out) {
        Done d = onPath(path, r.who(), new IoParameters.QueryEa(null, null));
        if (!d.ok()) {
            return d.code() == -Errnos.EOPNOTSUPP ? sized(r, new byte[0], out) : d.code();
        }
        StringBuilder names = new StringBuilder();
        for (String n : d.data().result(IoResult.EaNames.class).names()) {
            names.append(n).append('\0');
        }
        return sized(r, names.toString().getBytes(StandardCharsets.UTF_8), out);
    }

    private int setxattr(Request r, String path) {
        long at = SETXATTR_COMPAT_SIZE; // without FUSE_SETXATTR_EXT the kernel sends only size and flags
        String name = r.string(at);
        long valueAt = r.stringEnd(at);
        int size = r.u32(Abi.SETXATTR_IN, "size");
        IoParameters.EaNamespace ns = IoParameters.EaNamespace.of(name);
        if (ns == null) {
            return -Errnos.EOPNOTSUPP;
        }
        String bare = name.substring(ns.prefix().length());
        int flags = r.u32(Abi.SETXATTR_IN, "flags");
        if ((flags & (XATTR_CREATE | XATTR_REPLACE)) != 0) {
            // XATTR_CREATE / XATTR_REPLACE: the names are looked at first (not atomic with the set: Windows has no such flag)
            Done q = onPath(path, r.who(), new IoParameters.QueryEa(ns, bare));
            if (q.ok() && (flags & XATTR_CREATE) != 0) {
                return -Errnos.EEXIST;
            }
            if (!q.ok() && (flags & XATTR_REPLACE) != 0) {
                return q.code();
            }
        }
        byte[] value = r.buf().asSlice(HEADER + valueAt, size).toArray(JAVA_BYTE);
        return onPath(path, r.who(), new IoParameters.SetEa(ns, bare, value)).code();
    }

    /** At unmount: every file and directory the kernel still had open is closed. */
    /**
     * The files open now whose data travels past the filters: in passthrough none of their reads and writes reach a
     * filter, in the page cache the reads the cache answers do not. They keep that path until they close.
     */
    List<String> dataBypass() {
        List<String> open = new ArrayList<>();
        for (Open o : handles.values()) {
            if (o.mode == DataPaths.Mode.PASSTHROUGH) {
                open.add(o.file.path() + ": kernel passthrough, no read or write reaches a filter");
            } else if (o.mode == DataPaths.Mode.PAGE_CACHE) {
                open.add(o.file.path() + ": page cache, reads the cache answers reach no filter");
            }
        }
        java.util.Collections.sort(open);
        return open;
    }

    /** Requests the kernel sent so far, by opcode. */
    long[] requestsByOpcode() {
        long[] c = new long[byOpcode.length()];
        for (int i = 0; i < c.length; i++) {
            c[i] = byOpcode.get(i);
        }
        return c;
    }

    int openHandles() {
        return handles.size();
    }

    void closeAll() {
        locks.closeAll();
        for (Long fh : List.copyOf(handles.keySet())) {
            Open o = handles.remove(fh);
            if (o != null) {
                close(o.file, Requestor.self());
            }
        }
        paths.closeAll();
    }
}
