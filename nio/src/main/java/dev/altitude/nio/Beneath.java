package dev.altitude.nio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
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
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

/**
 * Paths resolved beneath a root directory with no symbolic link followed on the way, for a backend run as
 * root on behalf of other users (the FUSE daemon). A volume path's parent directory is opened with
 * {@code openat2(root, parent, O_PATH | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)}: the kernel
 * refuses a link or a {@code ..} anywhere on the way, also one swapped in after the caller's lookup, and the
 * directory found stays pinned by its descriptor. The last component is then named relative to that
 * descriptor ({@code /proc/self/fd/N/name}, for the JDK's calls with {@code NOFOLLOW_LINKS}), and the
 * set-attribute calls the JDK would make through a path that follows links (chmod opens the file; a FIFO
 * would block it) are made here with {@code AT_SYMLINK_NOFOLLOW}: a set-attribute on a link means the link.
 *
 * <p>Constants and layouts are those of the kernel's uapi headers ({@code linux/openat2.h},
 * {@code linux/fcntl.h}, {@code asm/unistd_64.h}); {@code BeneathLayoutTest} checks them against a C program.
 */
final class Beneath implements AutoCloseable {
    static final int AT_FDCWD = -100;
    static final int O_DIRECTORY = 0200000;
    static final int O_NOFOLLOW = 0400000;
    static final int O_CLOEXEC = 02000000;
    static final int O_PATH = 010000000;
    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final long RESOLVE_NO_MAGICLINKS = 0x02;
    static final long RESOLVE_NO_SYMLINKS = 0x04;
    static final long RESOLVE_BENEATH = 0x08;
    static final long SYS_OPENAT2 = 437;
    static final long SYS_FCHMODAT2 = 452;
    static final long UTIME_OMIT = (1L << 30) - 2;
    static final int EOPNOTSUPP = 95;

    /** {@code struct open_how}: u64 flags, u64 mode, u64 resolve. */
    static final StructLayout OPEN_HOW = MemoryLayout.structLayout(JAVA_LONG.withName("flags"), JAVA_LONG.withName("mode"),
            JAVA_LONG.withName("resolve"));
    /** {@code struct timespec}: time_t tv_sec, long tv_nsec (x86-64). */
    static final StructLayout TIMESPEC = MemoryLayout.structLayout(JAVA_LONG.withName("tv_sec"), JAVA_LONG.withName("tv_nsec"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURED = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURED.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");
    private static final MethodHandle SYSCALL4 = libc("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle FCHMODAT2 = libc("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle FCHOWNAT = libc("fchownat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle MKNODAT = libc("mknodat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle UTIMENSAT = libc("utimensat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle LGETXATTR = libc("lgetxattr",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle LLISTXATTR = libc("llistxattr",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle LSETXATTR = libc("lsetxattr",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle LREMOVEXATTR = libc("lremovexattr",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    static final int ENODATA = 61;
    static final int ERANGE = 34;
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LINKER.defaultLookup().find("strerror").orElseThrow(),
            FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private static MethodHandle libc(String name, FunctionDescriptor d, Linker.Option... more) {
        Linker.Option[] options = java.util.Arrays.copyOf(more, more.length + 1);
        options[more.length] = ERRNO_OPTION;
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d, options);
    }

    /**
     * A volume path's last component, named relative to its pinned parent directory. {@link #path()} is the
     * name for the JDK's calls; close it when the operation (or the open file) is done.
     */
    final class Pin implements AutoCloseable {
        final int dirFd;
        final String name;
        final String volumePath;
        private final boolean owned;
        private boolean closed;

        private Pin(int dirFd, String name, String volumePath, boolean owned) {
            this.dirFd = dirFd;
            this.name = name;
            this.volumePath = volumePath;
            this.owned = owned;
        }

        Path path() {
            return Path.of("/proc/self/fd/" + dirFd, name);
        }

        /** The pinned parent directory, for calls relative to it ({@code SecureDirectoryStream}). */
        Path directory() {
            return Path.of("/proc/self/fd/" + dirFd);
        }

        /** {@code fchmodat2(dir, name, mode, AT_SYMLINK_NOFOLLOW)}: a link is refused, never followed. */
        void chmod(int mode) throws IOException {
            call(volumePath, (a, errno) -> (long) FCHMODAT2.invokeExact(errno, SYS_FCHMODAT2, dirFd, a.allocateFrom(name), mode,
                    AT_SYMLINK_NOFOLLOW));
        }

        /** {@code fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW)}; -1 leaves one as it is. */
        void chown(int uid, int gid) throws IOException {
            call(volumePath, (a, errno) -> (int) FCHOWNAT.invokeExact(errno, dirFd, a.allocateFrom(name), uid, gid,
                    AT_SYMLINK_NOFOLLOW));
        }

        /** {@code mknodat(dir, name, mode, dev)}: a FIFO, a socket or a device ({@code mode} with its type bits). */
        void mknod(int mode, long dev) throws IOException {
            call(volumePath, (a, errno) -> (int) MKNODAT.invokeExact(errno, dirFd, a.allocateFrom(name), mode, dev));
        }

        /** {@code utimensat(dir, name, {atime, mtime}, AT_SYMLINK_NOFOLLOW)}; null leaves one as it is. */
        void setTimes(FileTime atime, FileTime mtime) throws IOException {
            call(volumePath, (a, errno) -> {
                MemorySegment times = a.allocate(TIMESPEC, 2);
                timespec(times, 0, atime);
                timespec(times, 1, mtime);
                return (int) UTIMENSAT.invokeExact(errno, dirFd, a.allocateFrom(name), times, AT_SYMLINK_NOFOLLOW);
            });
        }

        /**
         * The extended attribute {@code name} (full, {@code user.x}) of the entry itself, or null if it has none:
         * {@code lgetxattr} through the pinned directory, which opens nothing (the JDK's view opens the file, and
         * an open of a FIFO would block).
         */
        byte[] getXattr(String attribute) throws IOException {
            return filled((a, errno, buf, size) -> (long) LGETXATTR.invokeExact(errno, a.allocateFrom(procPath()),
                    a.allocateFrom(attribute), buf, size));
        }

        /** Every extended attribute's full name of the entry itself ({@code llistxattr}). */
        java.util.List<String> listXattr() throws IOException {
            byte[] all = filled((a, errno, buf, size) -> (long) LLISTXATTR.invokeExact(errno, a.allocateFrom(procPath()), buf, size));
            java.util.List<String> names = new java.util.ArrayList<>();
            for (String n : new String(all == null ? new byte[0] : all, java.nio.charset.StandardCharsets.UTF_8).split("\0")) {
                if (!n.isEmpty()) {
                    names.add(n);
                }
            }
            return names;
        }

        /** A call that fills a buffer, grown while the kernel says ERANGE (to 1 MiB); null where it says ENODATA. */
        private byte[] filled(Fill f) throws IOException {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment errno = a.allocate(CAPTURED);
                for (long size = 1024; ; size *= 4) {
                    MemorySegment buf = a.allocate(size);
                    long r = f.invoke(a, errno, buf, size);
                    if (r >= 0) {
                        return buf.asSlice(0, r).toArray(JAVA_BYTE);
                    }
                    int e = (int) ERRNO.get(errno, 0L);
                    if (e == ENODATA) {
                        return null;
                    }
                    if (e != ERANGE || size >= (1 << 20)) {
                        throw exception(e, volumePath);
                    }
                }
            } catch (IOException | RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        /** Sets ({@code lsetxattr}) or, with a null value, removes ({@code lremovexattr}) an extended attribute. */
        void setXattr(String attribute, byte[] value) throws IOException {
            call(volumePath, (a, errno) -> {
                MemorySegment path = a.allocateFrom(procPath());
                MemorySegment key = a.allocateFrom(attribute);
                return value == null ? (int) LREMOVEXATTR.invokeExact(errno, path, key)
                        : (int) LSETXATTR.invokeExact(errno, path, key, a.allocateFrom(JAVA_BYTE, value), (long) value.length, 0);
            });
        }

        private String procPath() {
            return "/proc/self/fd/" + dirFd + "/" + name;
        }

        @Override
        public synchronized void close() {
            if (owned && !closed) {
                closed = true;
                closeFd(dirFd);
            }
        }
    }

    @FunctionalInterface
    private interface Fill {
        long invoke(Arena arena, MemorySegment errno, MemorySegment buffer, long size) throws Throwable;
    }

    /** One native call: its arena, the errno it leaves, and the result it returns (negative: failed). */
    @FunctionalInterface
    private interface Call {
        long invoke(Arena arena, MemorySegment errno) throws Throwable;
    }

    /** Runs {@code c}; a negative result is the exception for its errno, naming {@code file}. */
    private static long call(String file, Call c) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = a.allocate(CAPTURED);
            long r = c.invoke(a, errno);
            if (r < 0) {
                throw exception((int) ERRNO.get(errno, 0L), file);
            }
            return r;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void timespec(MemorySegment times, int i, FileTime t) {
        long offset = i * TIMESPEC.byteSize();
        if (t == null) {
            times.set(JAVA_LONG, offset, 0);
            times.set(JAVA_LONG, offset + 8, UTIME_OMIT);
        } else {
            java.time.Instant when = t.toInstant();
            times.set(JAVA_LONG, offset, when.getEpochSecond());
            times.set(JAVA_LONG, offset + 8, when.getNano());
        }
    }

    private final int rootFd;
    private final Path root;

    private Beneath(int rootFd, Path root) {
        this.rootFd = rootFd;
        this.root = root;
    }

    /** Pins {@code root} (a real path: no link is followed to reach it either). */
    static Beneath open(Path root) throws IOException {
        return new Beneath(openat2(AT_FDCWD, root.toString(), O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW, 0,
                root.toString()), root);
    }

    /** The root's pin: its descriptor and {@code "."}. */
    Pin root() {
        return new Pin(rootFd, ".", "/", false);
    }

    /**
     * Pins the parent of {@code volumePath} ({@code /a/b/c}: {@code a/b} beneath the root, no link followed)
     * and names the last component. A {@code .} or {@code ..} component is refused: the kernel never sends
     * one, and {@code /proc/self/fd/N/..} would leave the pinned directory.
     */
    Pin pin(String volumePath) throws IOException {
        String[] parts = volumePath.split("/");
        StringBuilder parent = new StringBuilder();
        String last = null;
        for (String part : parts) {
            if (part.isEmpty()) {
                continue;
            }
            if (part.equals(".") || part.equals("..")) {
                throw new AccessDeniedException(volumePath, null, "a '.' or '..' component is not resolved beneath the source");
            }
            if (last != null) {
                if (!parent.isEmpty()) {
                    parent.append('/');
                }
                parent.append(last);
            }
            last = part;
        }
        if (last == null) {
            return root();
        }
        if (parent.isEmpty()) {
            return new Pin(rootFd, last, volumePath, false);
        }
        int fd = openat2(rootFd, parent.toString(), O_PATH | O_DIRECTORY | O_CLOEXEC,
                RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, volumePath);
        return new Pin(fd, last, volumePath, true);
    }

    private static int openat2(int dirFd, String path, int flags, long resolve, String forMessage) throws IOException {
        return (int) call(forMessage, (a, errno) -> {
            MemorySegment how = a.allocate(OPEN_HOW);
            how.set(JAVA_LONG, 0, flags);
            how.set(JAVA_LONG, 8, 0);
            how.set(JAVA_LONG, 16, resolve);
            return (long) SYSCALL4.invokeExact(errno, SYS_OPENAT2, dirFd, a.allocateFrom(path), how, OPEN_HOW.byteSize());
        });
    }

    private static void closeFd(int fd) {
        try {
            int r = (int) CLOSE.invokeExact(fd);
            assert r == 0 : "close(" + fd + ") failed";
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The exception the JDK's own provider gives for {@code errno} (its reason is strerror's text). */
    static IOException exception(int errno, String file) {
        String reason;
        try {
            reason = ((MemorySegment) STRERROR.invokeExact(errno)).reinterpret(256).getString(0);
        } catch (Throwable t) {
            reason = "errno " + errno;
        }
        return switch (errno) {
            case 2 -> new NoSuchFileException(file);
            case 13 -> new AccessDeniedException(file);
            case 17 -> new FileAlreadyExistsException(file);
            default -> new FileSystemException(file, null, reason);
        };
    }

    @Override
    public void close() {
        closeFd(rootFd);
    }

    @Override
    public String toString() {
        return "beneath " + root;
    }
}
