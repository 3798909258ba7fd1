package dev.altitude.fuse;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The libc calls of the front end and of {@link PosixBackend}, through FFM: the device's ({@code open},
 * {@code read}, {@code write}, {@code ioctl}, {@code mount}, {@code umount2}, {@code close}) and the file calls
 * relative to a directory descriptor ({@code openat2}, {@code statx}, {@code mkdirat}, {@code renameat2} …). Each
 * failure is an {@link Errno} exception carrying the errno the call left (captured with the call, so no other call
 * can overwrite it). Constants are those of the kernel's uapi headers; {@code PosixLayoutTest} checks them and the
 * structures against a C program.
 */
final class Libc {
    private Libc() {
    }

    static final int O_RDWR = 02;
    static final int O_CLOEXEC = 02000000;
    static final long MS_NOSUID = 2;
    static final long MS_NODEV = 4;
    static final int MNT_DETACH = 2;

    static final int AT_FDCWD = -100;
    static final int O_WRONLY = 01;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_TRUNC = 01000;
    static final int O_APPEND = 02000;
    static final int O_DSYNC = 010000;
    static final int O_SYNC = 04010000;
    static final int O_DIRECTORY = 0200000;
    static final int O_NOFOLLOW = 0400000;
    static final int O_PATH = 010000000;
    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final int AT_REMOVEDIR = 0x200;
    static final int AT_EACCESS = 0x200;
    static final int AT_EMPTY_PATH = 0x1000;
    static final long RESOLVE_NO_MAGICLINKS = 0x02;
    static final long RESOLVE_NO_SYMLINKS = 0x04;
    static final long RESOLVE_BENEATH = 0x08;
    static final int RENAME_NOREPLACE = 1;
    static final int RENAME_EXCHANGE = 2;
    static final int RENAME_WHITEOUT = 4;
    static final int STATX_BASIC_STATS = 0x7ff;
    static final int STATX_BTIME = 0x800;
    static final long UTIME_OMIT = (1L << 30) - 2;
    static final int LOCK_SH = 1;
    static final int LOCK_EX = 2;
    static final int LOCK_NB = 4;
    static final int LOCK_UN = 8;
    static final int F_OFD_GETLK = 36;
    static final int F_OFD_SETLK = 37;
    static final int F_OFD_SETLKW = 38;
    static final short F_RDLCK = 0;
    static final short F_WRLCK = 1;
    static final short F_UNLCK = 2;
    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    static final int FALLOC_FL_ZERO_RANGE = 0x10;
    static final int SEEK_SET = 0;
    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;
    static final int AF_UNIX = 1;
    static final int SOCK_STREAM = 1;
    static final int SOCK_CLOEXEC = 02000000;
    static final int SOL_SOCKET = 1;
    static final int SCM_RIGHTS = 1;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;
    static final long SYS_OPENAT2 = 437;
    static final long SYS_FCHMODAT2 = 452;
    static final long SYS_GETDENTS64 = 217;

    /** {@code struct open_how}: u64 flags, u64 mode, u64 resolve. */
    static final StructLayout OPEN_HOW = MemoryLayout.structLayout(JAVA_LONG.withName("flags"), JAVA_LONG.withName("mode"),
            JAVA_LONG.withName("resolve"));
    /** {@code struct statx_timestamp}: s64 tv_sec, u32 tv_nsec, s32 reserved. */
    static final StructLayout STATX_TIMESTAMP = MemoryLayout.structLayout(JAVA_LONG.withName("tv_sec"),
            JAVA_INT.withName("tv_nsec"), JAVA_INT.withName("__reserved"));
    /** {@code struct statx} of {@code linux/stat.h} (256 bytes; the fields after {@code stx_dev_minor} unused here). */
    static final StructLayout STATX = MemoryLayout.structLayout(JAVA_INT.withName("stx_mask"), JAVA_INT.withName("stx_blksize"),
            JAVA_LONG.withName("stx_attributes"), JAVA_INT.withName("stx_nlink"), JAVA_INT.withName("stx_uid"),
            JAVA_INT.withName("stx_gid"), JAVA_SHORT.withName("stx_mode"), MemoryLayout.paddingLayout(2),
            JAVA_LONG.withName("stx_ino"), JAVA_LONG.withName("stx_size"), JAVA_LONG.withName("stx_blocks"),
            JAVA_LONG.withName("stx_attributes_mask"), STATX_TIMESTAMP.withName("stx_atime"),
            STATX_TIMESTAMP.withName("stx_btime"), STATX_TIMESTAMP.withName("stx_ctime"),
            STATX_TIMESTAMP.withName("stx_mtime"), JAVA_INT.withName("stx_rdev_major"), JAVA_INT.withName("stx_rdev_minor"),
            JAVA_INT.withName("stx_dev_major"), JAVA_INT.withName("stx_dev_minor"), MemoryLayout.paddingLayout(112));
    /** {@code struct timespec} (x86-64): time_t tv_sec, long tv_nsec. */
    static final StructLayout TIMESPEC = MemoryLayout.structLayout(JAVA_LONG.withName("tv_sec"), JAVA_LONG.withName("tv_nsec"));
    /** {@code struct flock} (x86-64): short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid. */
    static final StructLayout FLOCK = MemoryLayout.structLayout(JAVA_SHORT.withName("l_type"), JAVA_SHORT.withName("l_whence"),
            MemoryLayout.paddingLayout(4), JAVA_LONG.withName("l_start"), JAVA_LONG.withName("l_len"),
            JAVA_INT.withName("l_pid"), MemoryLayout.paddingLayout(4));
    /** {@code struct statfs} (x86-64), the fields used here. */
    static final StructLayout STATFS = MemoryLayout.structLayout(JAVA_LONG.withName("f_type"), JAVA_LONG.withName("f_bsize"),
            JAVA_LONG.withName("f_blocks"), JAVA_LONG.withName("f_bfree"), JAVA_LONG.withName("f_bavail"),
            JAVA_LONG.withName("f_files"), JAVA_LONG.withName("f_ffree"), JAVA_LONG.withName("f_fsid"),
            JAVA_LONG.withName("f_namelen"), JAVA_LONG.withName("f_frsize"), JAVA_LONG.withName("f_flags"),
            MemoryLayout.sequenceLayout(4, JAVA_LONG).withName("f_spare"));
    /** {@code struct iovec}: void *iov_base, size_t iov_len. */
    static final StructLayout IOVEC = MemoryLayout.structLayout(ADDRESS.withName("iov_base"), JAVA_LONG.withName("iov_len"));
    /** {@code struct msghdr} (x86-64). */
    static final StructLayout MSGHDR = MemoryLayout.structLayout(ADDRESS.withName("msg_name"), JAVA_INT.withName("msg_namelen"),
            MemoryLayout.paddingLayout(4), ADDRESS.withName("msg_iov"), JAVA_LONG.withName("msg_iovlen"),
            ADDRESS.withName("msg_control"), JAVA_LONG.withName("msg_controllen"), JAVA_INT.withName("msg_flags"),
            MemoryLayout.paddingLayout(4));
    /** {@code struct cmsghdr} (x86-64): size_t cmsg_len, int cmsg_level, int cmsg_type, then the data. */
    static final StructLayout CMSGHDR = MemoryLayout.structLayout(JAVA_LONG.withName("cmsg_len"), JAVA_INT.withName("cmsg_level"),
            JAVA_INT.withName("cmsg_type"));
    /** {@code struct linux_dirent64}: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, then the name. */
    static final long DIRENT64_RECLEN = 16;
    static final long DIRENT64_TYPE = 18;
    static final long DIRENT64_NAME = 19;

    /**
     * A failed call: its name and errno. A failure is an answer here (a lookup of a missing name is Errnos.ENOENT), so it
     * costs no stack trace and its message is made only when someone reads it.
     */
    static final class Errno extends IOException {
        private final String call;
        private final int errno;

        Errno(String call, int errno) {
            super(null, null);
            this.call = call;
            this.errno = errno;
        }

        int errno() {
            return errno;
        }

        @Override
        public String getMessage() {
            return call + ": " + strerror(errno) + " (errno " + errno + ")";
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURED = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURED.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN = libc("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle READ = libc("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = libc("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle IOCTL = libc("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MOUNT = libc("mount",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle UMOUNT2 = libc("umount2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CLOSE = libc("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle SYSCALL_OPENAT2 = libc("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SYSCALL_FCHMODAT2 = libc("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SYSCALL_GETDENTS64 = libc("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle OPENAT = libc("openat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(3));
    private static final MethodHandle STATX_CALL = libc("statx",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle MKDIRAT = libc("mkdirat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle MKNODAT = libc("mknodat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle SYMLINKAT = libc("symlinkat", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
    private static final MethodHandle LINKAT = libc("linkat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RENAMEAT2 = libc("renameat2",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle UNLINKAT = libc("unlinkat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle FCHOWNAT = libc("fchownat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle UTIMENSAT = libc("utimensat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle READLINKAT = libc("readlinkat",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle PREAD = libc("pread64", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PWRITE = libc("pwrite64", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle FTRUNCATE = libc("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle FSYNC = libc("fsync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FDATASYNC = libc("fdatasync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle LSEEK = libc("lseek", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle FALLOCATE = libc("fallocate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle COPY_FILE_RANGE = libc("copy_file_range",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle FCNTL_LOCK = libc("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FLOCK_CALL = libc("flock", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SOCKETPAIR = libc("socketpair", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle RECVMSG = libc("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SPAWN_ACTIONS_INIT = libc("posix_spawn_file_actions_init",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SPAWN_ACTIONS_DUP2 = libc("posix_spawn_file_actions_adddup2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle SPAWN_ACTIONS_DESTROY = libc("posix_spawn_file_actions_destroy",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle POSIX_SPAWNP = libc("posix_spawnp",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle KILL = libc("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle WAITPID = libc("waitpid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle FSTATFS = libc("fstatfs", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle FACCESSAT = libc("faccessat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle GETXATTR = libc("getxattr", FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle SETXATTR = libc("setxattr",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle LISTXATTR = libc("listxattr", FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle REMOVEXATTR = libc("removexattr", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle FANOTIFY_INIT = libc("fanotify_init", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle FANOTIFY_MARK = libc("fanotify_mark",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS));
    private static final MethodHandle POLL = libc("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle EVENTFD = libc("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle OPEN_BY_HANDLE_AT = libc("open_by_handle_at",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LINKER.defaultLookup().find("strerror").orElseThrow(),
            FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private static MethodHandle libc(String name, FunctionDescriptor d, Linker.Option... more) {
        Linker.Option[] options = java.util.Arrays.copyOf(more, more.length + 1);
        options[more.length] = Linker.Option.captureCallState("errno");
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d, options);
    }

    static String strerror(int errno) {
        try {
            return ((MemorySegment) STRERROR.invokeExact(errno)).reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    /** One call: the result, or (negative) the failure with the errno it left. */
    @FunctionalInterface
    private interface Call {
        long invoke(MemorySegment errno) throws Throwable;
    }

    private static long call(String what, Arena arena, Call c) throws Errno {
        return call(what, arena.allocate(CAPTURED), c);
    }

    /** Each thread's errno segment, for the file calls (no arena per call on the read and write paths). */
    private static final ThreadLocal<MemorySegment> ERRNO_OF_THREAD =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURED));

    private static long sys(String what, Call c) throws Errno {
        return call(what, ERRNO_OF_THREAD.get(), c);
    }

    private static long call(String what, MemorySegment errno, Call c) throws Errno {
        long r;
        try {
            r = c.invoke(errno);
        } catch (Errno e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(what, t);
        }
        if (r < 0) {
            throw new Errno(what, (int) ERRNO.get(errno, 0L));
        }
        return r;
    }

    static int open(String path, int flags) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(path);
            return (int) call("open " + path, a, e -> (int) OPEN.invokeExact(e, p, flags));
        }
    }

    /** {@code read(fd, buf, size)}; the errno lands in {@code errno}, a segment of {@link #errnoSegment}. */
    static long read(int fd, MemorySegment buf, MemorySegment errno) throws Errno {
        long r;
        try {
            r = (long) READ.invokeExact(errno, fd, buf, buf.byteSize());
        } catch (Throwable t) {
            throw new IllegalStateException("read", t);
        }
        if (r < 0) {
            throw new Errno("read", (int) ERRNO.get(errno, 0L));
        }
        return r;
    }

    static long write(int fd, MemorySegment buf, long size, MemorySegment errno) throws Errno {
        long r;
        try {
            r = (long) WRITE.invokeExact(errno, fd, buf, size);
        } catch (Throwable t) {
            throw new IllegalStateException("write", t);
        }
        if (r < 0) {
            throw new Errno("write", (int) ERRNO.get(errno, 0L));
        }
        return r;
    }

    /** A segment the calls above leave their errno in; one per thread that calls them. */
    static MemorySegment errnoSegment(Arena arena) {
        return arena.allocate(CAPTURED);
    }

    static int ioctl(int fd, long request, MemorySegment arg) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            return (int) call("ioctl", a, e -> (int) IOCTL.invokeExact(e, fd, request, arg));
        }
    }

    static void mount(String source, String target, String type, long flags, String data) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocateFrom(source);
            MemorySegment t = a.allocateFrom(target);
            MemorySegment ty = a.allocateFrom(type);
            MemorySegment d = a.allocateFrom(data);
            call("mount " + target, a, e -> (int) MOUNT.invokeExact(e, s, t, ty, flags, d));
        }
    }

    static void umount2(String target, int flags) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment t = a.allocateFrom(target);
            call("umount2 " + target, a, e -> (int) UMOUNT2.invokeExact(e, t, flags));
        }
    }

    static void close(int fd) {
        try (Arena a = Arena.ofConfined()) {
            call("close", a, e -> (int) CLOSE.invokeExact(e, fd));
        } catch (Errno ignored) {
            // closing is best effort: the descriptor is gone either way
        }
    }

    // ---- file calls relative to a directory descriptor (PosixBackend) ---------------------------------------

    static int openat2(int dirFd, MemorySegment path, MemorySegment how, String what) throws Errno {
        return (int) sys(what, e -> (long) SYSCALL_OPENAT2.invokeExact(e, SYS_OPENAT2, dirFd, path, how, OPEN_HOW.byteSize()));
    }

    static int openat(int dirFd, MemorySegment name, int flags, int mode, String what) throws Errno {
        return (int) sys(what, e -> (int) OPENAT.invokeExact(e, dirFd, name, flags, mode));
    }

    static void statx(int dirFd, MemorySegment path, int flags, int mask, MemorySegment buf, String what) throws Errno {
        sys(what, e -> (int) STATX_CALL.invokeExact(e, dirFd, path, flags, mask, buf));
    }

    static void mkdirat(int dirFd, MemorySegment name, int mode, String what) throws Errno {
        sys(what, e -> (int) MKDIRAT.invokeExact(e, dirFd, name, mode));
    }

    static void mknodat(int dirFd, MemorySegment name, int mode, long dev, String what) throws Errno {
        sys(what, e -> (int) MKNODAT.invokeExact(e, dirFd, name, mode, dev));
    }

    static void symlinkat(MemorySegment target, int dirFd, MemorySegment name, String what) throws Errno {
        sys(what, e -> (int) SYMLINKAT.invokeExact(e, target, dirFd, name));
    }

    static void linkat(int oldDir, MemorySegment oldName, int newDir, MemorySegment newName, int flags, String what)
            throws Errno {
        sys(what, e -> (int) LINKAT.invokeExact(e, oldDir, oldName, newDir, newName, flags));
    }

    static void renameat2(int oldDir, MemorySegment oldName, int newDir, MemorySegment newName, int flags, String what)
            throws Errno {
        sys(what, e -> (int) RENAMEAT2.invokeExact(e, oldDir, oldName, newDir, newName, flags));
    }

    static void unlinkat(int dirFd, MemorySegment name, int flags, String what) throws Errno {
        sys(what, e -> (int) UNLINKAT.invokeExact(e, dirFd, name, flags));
    }

    static void fchmodat2(int dirFd, MemorySegment path, int mode, int flags, String what) throws Errno {
        sys(what, e -> (long) SYSCALL_FCHMODAT2.invokeExact(e, SYS_FCHMODAT2, dirFd, path, mode, flags));
    }

    static void fchownat(int dirFd, MemorySegment path, int uid, int gid, int flags, String what) throws Errno {
        sys(what, e -> (int) FCHOWNAT.invokeExact(e, dirFd, path, uid, gid, flags));
    }

    static void utimensat(int dirFd, MemorySegment path, MemorySegment times, int flags, String what) throws Errno {
        sys(what, e -> (int) UTIMENSAT.invokeExact(e, dirFd, path, times, flags));
    }

    static long readlinkat(int dirFd, MemorySegment path, MemorySegment buf, String what) throws Errno {
        return sys(what, e -> (long) READLINKAT.invokeExact(e, dirFd, path, buf, buf.byteSize()));
    }

    static long pread(int fd, MemorySegment buf, long offset) throws Errno {
        return sys("pread", e -> (long) PREAD.invokeExact(e, fd, buf, buf.byteSize(), offset));
    }

    static long pwrite(int fd, MemorySegment buf, long offset) throws Errno {
        return sys("pwrite", e -> (long) PWRITE.invokeExact(e, fd, buf, buf.byteSize(), offset));
    }

    /** {@code write(2)} at the descriptor's own position (an append). */
    static long write(int fd, MemorySegment buf) throws Errno {
        return sys("write", e -> (long) WRITE.invokeExact(e, fd, buf, buf.byteSize()));
    }

    static void ftruncate(int fd, long size) throws Errno {
        sys("ftruncate", e -> (int) FTRUNCATE.invokeExact(e, fd, size));
    }

    static void fsync(int fd, boolean dataOnly) throws Errno {
        sys(dataOnly ? "fdatasync" : "fsync", e -> dataOnly ? (int) FDATASYNC.invokeExact(e, fd) : (int) FSYNC.invokeExact(e, fd));
    }

    static long lseek(int fd, long offset, int whence) throws Errno {
        return sys("lseek", e -> (long) LSEEK.invokeExact(e, fd, offset, whence));
    }

    static void fallocate(int fd, int mode, long offset, long length) throws Errno {
        sys("fallocate", e -> (int) FALLOCATE.invokeExact(e, fd, mode, offset, length));
    }

    /** {@code copy_file_range} between two descriptors, at the offsets in {@code offIn} and {@code offOut} (int64 each). */
    static long copyFileRange(int in, MemorySegment offIn, int out, MemorySegment offOut, long length) throws Errno {
        return sys("copy_file_range", e -> (long) COPY_FILE_RANGE.invokeExact(e, in, offIn, out, offOut, length, 0));
    }

    static void fcntlLock(int fd, int command, MemorySegment flock) throws Errno {
        sys("fcntl", e -> (int) FCNTL_LOCK.invokeExact(e, fd, command, flock));
    }

    /** {@code flock(2)}: a whole-file lock of the open file description. */
    static void flock(int fd, int operation) throws Errno {
        sys("flock", e -> (int) FLOCK_CALL.invokeExact(e, fd, operation));
    }

    static long getdents64(int fd, MemorySegment buf) throws Errno {
        return sys("getdents64", e -> (long) SYSCALL_GETDENTS64.invokeExact(e, SYS_GETDENTS64, fd, buf, buf.byteSize()));
    }

    // ---- fanotify (FanotifyVolume) --------------------------------------------------------------------------

    static final int O_LARGEFILE = 0100000;
    static final int EFD_CLOEXEC = 02000000;
    static final short POLLIN = 1;
    /** {@code struct pollfd}: descriptor, the events asked for, the events that came. */
    static final StructLayout POLLFD = MemoryLayout.structLayout(JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"),
            JAVA_SHORT.withName("revents"));

    static int fanotifyInit(int flags, int eventFileFlags) throws Errno {
        return (int) sys("fanotify_init", e -> (int) FANOTIFY_INIT.invokeExact(e, flags, eventFileFlags));
    }

    static void fanotifyMark(int fd, int flags, long mask, String path) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(path);
            call("fanotify_mark " + path, a, e -> (int) FANOTIFY_MARK.invokeExact(e, fd, flags, mask, AT_FDCWD, p));
        }
    }

    /** {@code poll(2)} on {@code fds} (an array of {@link #POLLFD}) for at most {@code millis} (-1: no bound). */
    static int poll(MemorySegment fds, int millis) throws Errno {
        return (int) sys("poll", e -> (int) POLL.invokeExact(e, fds, fds.byteSize() / POLLFD.byteSize(), millis));
    }

    static int eventfd(int flags) throws Errno {
        return (int) sys("eventfd", e -> (int) EVENTFD.invokeExact(e, 0, flags));
    }

    /** {@code open_by_handle_at(mountFd, handle, flags)}: {@code handle} is a {@code struct file_handle}. */
    static int openByHandleAt(int mountFd, MemorySegment handle, int flags) throws Errno {
        return (int) sys("open_by_handle_at", e -> (int) OPEN_BY_HANDLE_AT.invokeExact(e, mountFd, handle, flags));
    }

    static void fstatfs(int fd, MemorySegment buf) throws Errno {
        sys("fstatfs", e -> (int) FSTATFS.invokeExact(e, fd, buf));
    }

    /** Whether {@code faccessat} allows {@code mode}; false on EACCES, the failure for anything else. */
    static boolean faccessat(int dirFd, MemorySegment path, int mode, int flags) throws Errno {
        try {
            sys("faccessat", e -> (int) FACCESSAT.invokeExact(e, dirFd, path, mode, flags));
            return true;
        } catch (Errno e) {
            if (e.errno() == 13) {
                return false;
            }
            throw e;
        }
    }

    static long getxattr(MemorySegment path, MemorySegment name, MemorySegment value) throws Errno {
        return sys("getxattr", e -> (long) GETXATTR.invokeExact(e, path, name, value, value.byteSize()));
    }

    static void setxattr(MemorySegment path, MemorySegment name, MemorySegment value, int flags) throws Errno {
        sys("setxattr", e -> (int) SETXATTR.invokeExact(e, path, name, value, value.byteSize(), flags));
    }

    static long listxattr(MemorySegment path, MemorySegment list) throws Errno {
        return sys("listxattr", e -> (long) LISTXATTR.invokeExact(e, path, list, list.byteSize()));
    }

    static void removexattr(MemorySegment path, MemorySegment name) throws Errno {
        sys("removexattr", e -> (int) REMOVEXATTR.invokeExact(e, path, name));
    }

    // ---- mounting without root: fusermount3 hands the opened /dev/fuse over a socket ----------------------

    /** A connected pair of Unix stream sockets, close-on-exec. */
    static int[] socketpair() throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(JAVA_INT, 2);
            sys("socketpair", e -> (int) SOCKETPAIR.invokeExact(e, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    /** The descriptor a peer sent on {@code socket} with {@code SCM_RIGHTS}, or -1 if it sent none. */
    static int receiveDescriptor(int socket) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment data = a.allocate(1);
            MemorySegment iov = a.allocate(IOVEC);
            iov.set(ADDRESS, 0, data);
            iov.set(JAVA_LONG, 8, 1);
            long space = CMSGHDR.byteSize() + 8; // CMSG_SPACE(sizeof(int))
            MemorySegment control = a.allocate(space, 8);
            control.fill((byte) 0);
            MemorySegment msg = a.allocate(MSGHDR);
            msg.fill((byte) 0);
            msg.set(ADDRESS, MSGHDR.byteOffset(MemoryLayout.PathElement.groupElement("msg_iov")), iov);
            msg.set(JAVA_LONG, MSGHDR.byteOffset(MemoryLayout.PathElement.groupElement("msg_iovlen")), 1);
            msg.set(ADDRESS, MSGHDR.byteOffset(MemoryLayout.PathElement.groupElement("msg_control")), control);
            msg.set(JAVA_LONG, MSGHDR.byteOffset(MemoryLayout.PathElement.groupElement("msg_controllen")), space);
            long n = sys("recvmsg", e -> (long) RECVMSG.invokeExact(e, socket, msg, MSG_CMSG_CLOEXEC));
            if (n <= 0 || control.get(JAVA_INT, 8) != SOL_SOCKET || control.get(JAVA_INT, 12) != SCM_RIGHTS) {
                return -1;
            }
            return control.get(JAVA_INT, CMSGHDR.byteSize());
        }
    }

    /**
     * Runs {@code argv} (found on the PATH) with {@code environment} and {@code passed} as its descriptor 3, and
     * waits for it (at most {@link #SPAWN_LIMIT_SECONDS}, then it is killed): its exit status, or -1 if a signal ended
     * it. No shell, no other descriptor of this process (the JVM opens its own close-on-exec).
     */
    static int spawnAndWait(java.util.List<String> argv, java.util.List<String> environment, int passed) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment args = a.allocate(ADDRESS, argv.size() + 1);
            for (int i = 0; i < argv.size(); i++) {
                args.setAtIndex(ADDRESS, i, a.allocateFrom(argv.get(i)));
            }
            args.setAtIndex(ADDRESS, argv.size(), MemorySegment.NULL);
            MemorySegment env = a.allocate(ADDRESS, environment.size() + 1);
            for (int i = 0; i < environment.size(); i++) {
                env.setAtIndex(ADDRESS, i, a.allocateFrom(environment.get(i)));
            }
            env.setAtIndex(ADDRESS, environment.size(), MemorySegment.NULL);
            MemorySegment actions = a.allocate(1024, 16); // posix_spawn_file_actions_t is 80 bytes in glibc
            MemorySegment pid = a.allocate(JAVA_INT);
            sys("posix_spawn_file_actions_init", e -> (int) SPAWN_ACTIONS_INIT.invokeExact(e, actions));
            try {
                spawnCheck("posix_spawn_file_actions_adddup2", (int) invoke(e -> (int) SPAWN_ACTIONS_DUP2.invokeExact(
                        e, actions, passed, 3)));
                MemorySegment file = a.allocateFrom(argv.getFirst());
                spawnCheck("posix_spawnp " + argv.getFirst(), (int) invoke(e -> (int) POSIX_SPAWNP.invokeExact(
                        e, pid, file, actions, MemorySegment.NULL, args, env)));
            } finally {
                invoke(e -> (int) SPAWN_ACTIONS_DESTROY.invokeExact(e, actions));
            }
            int child = pid.get(JAVA_INT, 0);
            // waited for on a thread of its own, so the wait is bounded: a child that hangs (a mount point on a dead
            // file system) is killed, and its end is still waited for
            var exit = java.util.concurrent.CompletableFuture.supplyAsync(() -> waitFor(child),
                    r -> Thread.ofPlatform().daemon().name("altitude-spawn-wait").start(r));
            try {
                return exit.get(SPAWN_LIMIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                invoke(x -> (int) KILL.invokeExact(x, child, 9));
                try {
                    exit.get(SPAWN_LIMIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
                } catch (Exception ignored) {
                    // killed and not reaped within the bound: the thread reaps it when it ends
                }
                throw new Errno(argv.getFirst() + " did not finish within " + SPAWN_LIMIT_SECONDS + " s", 62); // ETIME
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Errno(argv.getFirst() + " (interrupted)", Errnos.EINTR);
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof java.util.concurrent.CompletionException c && c.getCause() instanceof Errno errno) {
                    throw errno;
                }
                if (e.getCause() instanceof Errno errno) {
                    throw errno;
                }
                throw new IllegalStateException(e.getCause());
            }
        }
    }

    /** How long a spawned helper ({@code fusermount3}) may take. */
    static final long SPAWN_LIMIT_SECONDS = 30;

    /** {@code waitpid(child)}: its exit status, or -1 if a signal ended it. */
    private static int waitFor(int child) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment status = a.allocate(JAVA_INT);
            while (true) {
                try {
                    sys("waitpid", e -> (int) WAITPID.invokeExact(e, child, status, 0));
                    break;
                } catch (Errno e) {
                    if (e.errno() != Errnos.EINTR) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                }
            }
            int st = status.get(JAVA_INT, 0);
            return (st & 0x7f) == 0 ? (st >> 8) & 0xff : -1; // WIFEXITED, WEXITSTATUS
        }
    }

    /** The posix_spawn family returns its error instead of setting errno. */
    private static void spawnCheck(String what, int result) throws Errno {
        if (result != 0) {
            throw new Errno(what, result);
        }
    }

    private static long invoke(Call c) {
        try {
            return c.invoke(ERRNO_OF_THREAD.get());
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
