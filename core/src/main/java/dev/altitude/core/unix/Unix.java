package dev.altitude.core.unix;

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
 * The libc calls of the manager itself, through FFM: what lending a file to a client takes (opening it beneath a
 * directory, a sealed memory file, reading it) and the descriptor socket beside a port's socket ({@code
 * SOCK_SEQPACKET}, {@code SCM_RIGHTS}, {@code SO_PEERCRED}), since the JDK's channels can neither pass a
 * descriptor nor show theirs. Constants and structures are those of the kernel's uapi headers and glibc's x86-64
 * ABI; {@code UnixLayoutTest} checks each against a C program. A failed call is an {@link Errno}.
 */
public final class Unix {
    private Unix() {
    }

    public static final int O_RDONLY = 0;
    public static final int O_NOCTTY = 0400;
    public static final int O_NONBLOCK = 04000;
    public static final int O_DIRECTORY = 0200000;
    public static final int O_NOFOLLOW = 0400000;
    public static final int O_CLOEXEC = 02000000;
    public static final int O_PATH = 010000000;
    public static final int O_ACCMODE = 03;
    public static final long RESOLVE_NO_MAGICLINKS = 0x02;
    public static final long RESOLVE_NO_SYMLINKS = 0x04;
    public static final long RESOLVE_BENEATH = 0x08;
    public static final int S_IFMT = 0170000;
    public static final int S_IFREG = 0100000;
    public static final int SEEK_END = 2;
    public static final int F_GETFL = 3;
    public static final int F_DUPFD_CLOEXEC = 1030;
    public static final int F_ADD_SEALS = 1033;
    public static final int F_SEAL_SEAL = 0x0001;
    public static final int F_SEAL_SHRINK = 0x0002;
    public static final int F_SEAL_GROW = 0x0004;
    public static final int F_SEAL_WRITE = 0x0008;
    public static final int MFD_CLOEXEC = 0x0001;
    public static final int MFD_ALLOW_SEALING = 0x0002;
    public static final int AF_UNIX = 1;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SOCK_CLOEXEC = 02000000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_PEERCRED = 17;
    public static final int SO_RCVTIMEO = 20;
    public static final int SO_SNDTIMEO = 21;
    public static final int SCM_RIGHTS = 1;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;
    public static final int MSG_CTRUNC = 0x08;
    public static final int SHUT_RDWR = 2;
    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final long SYS_OPENAT2 = 437;

    /** {@code struct open_how}: u64 flags, u64 mode, u64 resolve. */
    public static final StructLayout OPEN_HOW = MemoryLayout.structLayout(JAVA_LONG.withName("flags"),
            JAVA_LONG.withName("mode"), JAVA_LONG.withName("resolve"));
    /** {@code struct stat} (x86-64), the fields read here and the size. */
    public static final StructLayout STAT = MemoryLayout.structLayout(JAVA_LONG.withName("st_dev"),
            JAVA_LONG.withName("st_ino"), JAVA_LONG.withName("st_nlink"), JAVA_INT.withName("st_mode"),
            JAVA_INT.withName("st_uid"), JAVA_INT.withName("st_gid"), MemoryLayout.paddingLayout(4),
            JAVA_LONG.withName("st_rdev"), JAVA_LONG.withName("st_size"), MemoryLayout.paddingLayout(88));
    /** {@code struct sockaddr_un}: sa_family_t sun_family, char sun_path[108]. */
    public static final StructLayout SOCKADDR_UN = MemoryLayout.structLayout(JAVA_SHORT.withName("sun_family"),
            MemoryLayout.sequenceLayout(108, java.lang.foreign.ValueLayout.JAVA_BYTE).withName("sun_path"));
    /** {@code struct ucred}: pid_t pid, uid_t uid, gid_t gid. */
    public static final StructLayout UCRED = MemoryLayout.structLayout(JAVA_INT.withName("pid"), JAVA_INT.withName("uid"),
            JAVA_INT.withName("gid"));
    /** {@code struct timeval}: time_t tv_sec, suseconds_t tv_usec. */
    public static final StructLayout TIMEVAL = MemoryLayout.structLayout(JAVA_LONG.withName("tv_sec"),
            JAVA_LONG.withName("tv_usec"));
    /** {@code struct iovec}: void *iov_base, size_t iov_len. */
    public static final StructLayout IOVEC = MemoryLayout.structLayout(ADDRESS.withName("iov_base"), JAVA_LONG.withName("iov_len"));
    /** {@code struct msghdr} (x86-64). */
    public static final StructLayout MSGHDR = MemoryLayout.structLayout(ADDRESS.withName("msg_name"),
            JAVA_INT.withName("msg_namelen"), MemoryLayout.paddingLayout(4), ADDRESS.withName("msg_iov"),
            JAVA_LONG.withName("msg_iovlen"), ADDRESS.withName("msg_control"), JAVA_LONG.withName("msg_controllen"),
            JAVA_INT.withName("msg_flags"), MemoryLayout.paddingLayout(4));
    /** {@code struct cmsghdr} (x86-64): size_t cmsg_len, int cmsg_level, int cmsg_type, then the data. */
    public static final StructLayout CMSGHDR = MemoryLayout.structLayout(JAVA_LONG.withName("cmsg_len"),
            JAVA_INT.withName("cmsg_level"), JAVA_INT.withName("cmsg_type"));
    /** {@code CMSG_LEN(sizeof(int))} and {@code CMSG_SPACE(sizeof(int))}: one descriptor's control message. */
    public static final long CMSG_LEN_ONE_FD = 20;
    public static final long CMSG_SPACE_ONE_FD = 24;
    /** {@code offsetof(struct passwd, pw_name)} and {@code offsetof(struct group, gr_name)}: both the first field. */
    public static final long PASSWD_NAME = 0;
    public static final long GROUP_NAME = 0;
    public static final long SIZEOF_PASSWD = 48;
    public static final long SIZEOF_GROUP = 32;

    /** A failed call: what it was and the errno it left. */
    public static final class Errno extends IOException {
        private final int errno;

        Errno(String what, int errno) {
            super(what + ": " + strerror(errno) + " (errno " + errno + ")");
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURED = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURED.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN = libc("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle OPENAT2 = libc("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle CLOSE = libc("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FSTAT = libc("fstat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle PREAD = libc("pread64", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle WRITE = libc("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle FCNTL = libc("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MEMFD_CREATE = libc("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SOCKET = libc("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = libc("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LISTEN = libc("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle ACCEPT4 = libc("accept4", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle CONNECT = libc("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SHUTDOWN = libc("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SENDMSG = libc("sendmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVMSG = libc("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = libc("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SETSOCKOPT = libc("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETUID = LINKER.downcallHandle(LINKER.defaultLookup().find("getuid").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETPWUID_R = LINKER.downcallHandle(LINKER.defaultLookup().find("getpwuid_r").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle GETGRGID_R = LINKER.downcallHandle(LINKER.defaultLookup().find("getgrgid_r").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
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

    @FunctionalInterface
    private interface Call {
        long invoke(MemorySegment errno) throws Throwable;
    }

    /** One call, again while a signal interrupts it; the result, or the failure with its errno. */
    private static long call(String what, Call c) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = a.allocate(CAPTURED);
            while (true) {
                long r;
                try {
                    r = c.invoke(errno);
                } catch (Error | RuntimeException e) {
                    throw e;
                } catch (Throwable t) {
                    throw new IllegalStateException(what, t);
                }
                if (r >= 0) {
                    return r;
                }
                int e = (int) ERRNO.get(errno, 0L);
                if (e != EINTR) {
                    throw new Errno(what, e);
                }
            }
        }
    }

    // ---- files ----------------------------------------------------------------------------------------

    /** {@code open(path, flags)}. */
    public static int open(String path, int flags) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(path);
            return (int) call("open " + path, e -> (int) OPEN.invokeExact(e, p, flags));
        }
    }

    /** {@code openat2(dirFd, relative, {flags, 0, resolve})}. */
    public static int openat2(int dirFd, String relative, int flags, long resolve) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment how = a.allocate(OPEN_HOW);
            how.set(JAVA_LONG, 0, flags);
            how.set(JAVA_LONG, 16, resolve);
            MemorySegment p = a.allocateFrom(relative);
            return (int) call("open " + relative, e -> (long) OPENAT2.invokeExact(e, SYS_OPENAT2, dirFd, p, how, OPEN_HOW.byteSize()));
        }
    }

    public static void close(int fd) {
        try {
            call("close", e -> (int) CLOSE.invokeExact(e, fd));
        } catch (Errno ignored) {
            // the descriptor is gone either way
        }
    }

    /** {@code st_mode} and {@code st_size} of an open file. */
    public static long[] fstat(int fd) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STAT);
            call("fstat", e -> (int) FSTAT.invokeExact(e, fd, st));
            return new long[] {Integer.toUnsignedLong(st.get(JAVA_INT, 24)), st.get(JAVA_LONG, 48)};
        }
    }

    public static long pread(int fd, MemorySegment buf, long position) throws Errno {
        return call("pread", e -> (long) PREAD.invokeExact(e, fd, buf, buf.byteSize(), position));
    }

    public static void writeFully(int fd, MemorySegment buf) throws Errno {
        long done = 0;
        while (done < buf.byteSize()) {
            MemorySegment rest = buf.asSlice(done);
            done += call("write", e -> (long) WRITE.invokeExact(e, fd, rest, rest.byteSize()));
        }
    }

    public static int fcntl(int fd, int cmd, int arg) throws Errno {
        return (int) call("fcntl", e -> (int) FCNTL.invokeExact(e, fd, cmd, arg));
    }

    public static int memfdCreate(String name, int flags) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocateFrom(name);
            return (int) call("memfd_create", e -> (int) MEMFD_CREATE.invokeExact(e, n, flags));
        }
    }

    // ---- sockets --------------------------------------------------------------------------------------

    public static int socket(int type) throws Errno {
        return (int) call("socket", e -> (int) SOCKET.invokeExact(e, AF_UNIX, type | SOCK_CLOEXEC, 0));
    }

    private static MemorySegment address(Arena a, String path) {
        byte[] p = path.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (p.length >= 108) {
            throw new IllegalArgumentException("socket path too long (" + p.length + " bytes, 107 at most): " + path);
        }
        MemorySegment sa = a.allocate(SOCKADDR_UN);
        sa.set(JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(p, 0, sa, java.lang.foreign.ValueLayout.JAVA_BYTE, 2, p.length);
        return sa;
    }

    public static void bind(int fd, String path) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = address(a, path);
            call("bind " + path, e -> (int) BIND.invokeExact(e, fd, sa, (int) SOCKADDR_UN.byteSize()));
        }
    }

    public static void listen(int fd, int backlog) throws Errno {
        call("listen", e -> (int) LISTEN.invokeExact(e, fd, backlog));
    }

    public static int accept(int fd) throws Errno {
        return (int) call("accept", e -> (int) ACCEPT4.invokeExact(e, fd, MemorySegment.NULL, MemorySegment.NULL, SOCK_CLOEXEC));
    }

    public static void connect(int fd, String path) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = address(a, path);
            call("connect " + path, e -> (int) CONNECT.invokeExact(e, fd, sa, (int) SOCKADDR_UN.byteSize()));
        }
    }

    /** Wakes a thread blocked in {@link #accept} or {@link #receive} on {@code fd}. */
    public static void shutdown(int fd) {
        try {
            call("shutdown", e -> (int) SHUTDOWN.invokeExact(e, fd, SHUT_RDWR));
        } catch (Errno ignored) {
            // not connected: nothing waits on it
        }
    }

    /** The peer's credentials: pid, uid, gid. */
    public static int[] peerCredentials(int fd) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cred = a.allocate(UCRED);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, (int) UCRED.byteSize());
            call("getsockopt SO_PEERCRED", e -> (int) GETSOCKOPT.invokeExact(e, fd, SOL_SOCKET, SO_PEERCRED, cred, len));
            return new int[] {cred.get(JAVA_INT, 0), cred.get(JAVA_INT, 4), cred.get(JAVA_INT, 8)};
        }
    }

    /** {@code SO_RCVTIMEO} and {@code SO_SNDTIMEO}: a blocked receive or send fails with EAGAIN after {@code millis}. */
    public static void timeouts(int fd, long millis) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment tv = a.allocate(TIMEVAL);
            tv.set(JAVA_LONG, 0, millis / 1000);
            tv.set(JAVA_LONG, 8, (millis % 1000) * 1000);
            for (int option : new int[] {SO_RCVTIMEO, SO_SNDTIMEO}) {
                call("setsockopt", e -> (int) SETSOCKOPT.invokeExact(e, fd, SOL_SOCKET, option, tv, (int) TIMEVAL.byteSize()));
            }
        }
    }

    /** Sends one record of {@code data}, with {@code passFd} attached ({@code SCM_RIGHTS}) unless it is -1. */
    public static void send(int fd, byte[] data, int passFd, int flags) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, data);
            MemorySegment iov = a.allocate(IOVEC);
            iov.set(ADDRESS, 0, buf);
            iov.set(JAVA_LONG, 8, data.length);
            MemorySegment msg = a.allocate(MSGHDR);
            msg.set(ADDRESS, 16, iov);
            msg.set(JAVA_LONG, 24, 1);
            if (passFd >= 0) {
                MemorySegment control = a.allocate(CMSG_SPACE_ONE_FD, 8);
                control.set(JAVA_LONG, 0, CMSG_LEN_ONE_FD);
                control.set(JAVA_INT, 8, SOL_SOCKET);
                control.set(JAVA_INT, 12, SCM_RIGHTS);
                control.set(JAVA_INT, CMSGHDR.byteSize(), passFd);
                msg.set(ADDRESS, 32, control);
                msg.set(JAVA_LONG, 40, CMSG_SPACE_ONE_FD);
            }
            call("sendmsg", e -> (long) SENDMSG.invokeExact(e, fd, msg, flags | MSG_NOSIGNAL));
        }
    }

    /** One record received: its bytes (0 when the peer closed) and the descriptor that came with it, or -1. */
    public record Received(byte[] data, int fd) {
    }

    /** Receives one record of at most {@code capacity} bytes; a descriptor that came with it is close-on-exec. */
    public static Received receive(int fd, int capacity) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(capacity);
            MemorySegment iov = a.allocate(IOVEC);
            iov.set(ADDRESS, 0, buf);
            iov.set(JAVA_LONG, 8, capacity);
            MemorySegment control = a.allocate(64, 8);
            MemorySegment msg = a.allocate(MSGHDR);
            msg.set(ADDRESS, 16, iov);
            msg.set(JAVA_LONG, 24, 1);
            msg.set(ADDRESS, 32, control);
            msg.set(JAVA_LONG, 40, control.byteSize());
            long n = call("recvmsg", e -> (long) RECVMSG.invokeExact(e, fd, msg, MSG_CMSG_CLOEXEC));
            int passed = -1;
            long controlLength = msg.get(JAVA_LONG, 40);
            // one SCM_RIGHTS message is all a sender here attaches; any other descriptor is closed, not kept
            for (long at = 0; at + CMSGHDR.byteSize() <= controlLength; ) {
                long len = control.get(JAVA_LONG, at);
                if (len < CMSGHDR.byteSize()) {
                    break;
                }
                if (control.get(JAVA_INT, at + 8) == SOL_SOCKET && control.get(JAVA_INT, at + 12) == SCM_RIGHTS) {
                    for (long f = at + CMSGHDR.byteSize(); f + 4 <= at + len; f += 4) {
                        int d = control.get(JAVA_INT, f);
                        if (passed < 0) {
                            passed = d;
                        } else {
                            close(d);
                        }
                    }
                }
                at += (len + 7) & ~7L;
            }
            return new Received(buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), passed);
        }
    }

    // ---- users ----------------------------------------------------------------------------------------

    public static int uid() {
        try {
            return (int) GETUID.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * The name of user {@code uid} ({@code group} false) or group {@code uid}, as the JDK names a peer's credentials:
     * the account's name, or the number when there is none.
     */
    public static String name(int id, boolean group) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment entry = a.allocate(Math.max(SIZEOF_PASSWD, SIZEOF_GROUP), 8);
            MemorySegment result = a.allocate(ADDRESS);
            for (int size = 1024; size <= 1 << 20; size *= 4) {
                MemorySegment buf = a.allocate(size);
                int r = group ? (int) GETGRGID_R.invokeExact(id, entry, buf, (long) size, result)
                        : (int) GETPWUID_R.invokeExact(id, entry, buf, (long) size, result);
                if (r == 34) { // ERANGE: a larger buffer
                    continue;
                }
                if (r != 0 || result.get(ADDRESS, 0).equals(MemorySegment.NULL)) {
                    break;
                }
                return entry.get(ADDRESS, group ? GROUP_NAME : PASSWD_NAME).reinterpret(4096).getString(0);
            }
        } catch (Throwable t) {
            // no name service: the number
        }
        return Integer.toUnsignedString(id);
    }
}
