package dev.altitude.fuse;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

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
 * The libc calls the kernel front end makes, through FFM: {@code open}, {@code read}, {@code write}, {@code ioctl},
 * {@code mount}, {@code umount2}, {@code close}. Each failure is an {@link Errno} exception carrying the errno the
 * call left (captured with the call, so no other call can overwrite it).
 */
final class Libc {
    private Libc() {
    }

    static final int O_RDWR = 02;
    static final int O_CLOEXEC = 02000000;
    static final long MS_NOSUID = 2;
    static final long MS_NODEV = 4;
    static final int MNT_DETACH = 2;
    static final int EINTR = 4;
    static final int ENOENT = 2;
    static final int ENODEV = 19;
    static final int EAGAIN = 11;

    /** A failed call: its name and errno. */
    static final class Errno extends IOException {
        private final int errno;

        Errno(String call, int errno) {
            super(call + ": " + strerror(errno) + " (errno " + errno + ")");
            this.errno = errno;
        }

        int errno() {
            return errno;
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
        MemorySegment errno = arena.allocate(CAPTURED);
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
}
