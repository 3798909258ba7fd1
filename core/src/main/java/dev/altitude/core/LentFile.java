package dev.altitude.core;

import dev.altitude.core.unix.Unix;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A read-only descriptor of a file, lent by a filter to a user-mode client with a message
 * ({@link Filter#sendMessage(ClientPort, byte[], int, java.time.Duration, LentFile)}), so the client reads the
 * whole file itself (a scanner) instead of receiving its bytes in messages. Across processes it travels over the
 * port's descriptor socket ({@code SCM_RIGHTS}); in this JVM it is handed over as it is.
 *
 * <p>On the filter's side the file is a rundown holder ({@link HolderKind#LENT_FILE}) from the send until the
 * client closes it or the message ends: the reply came, the sender stopped waiting, or the connection ended. The
 * client's copy is closed for it when it replies and when the connection ends, so a client cannot keep a file
 * past its message by forgetting it.
 *
 * <p>A volume makes one with {@link Volume#lendFile}; a backend with {@link #open} (beneath a directory, following
 * no link), {@link #snapshot} (a sealed memory file of given bytes) or {@link #adopt} (a descriptor it opened).
 * Reads and {@link #close} may come from different threads: a close waits for a read under way, and a read after
 * it fails, so a closed descriptor's number is never read again.
 */
public final class LentFile implements AutoCloseable {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private int fd; // -1 once closed; under lock
    private volatile Runnable onClose;

    private LentFile(int fd) {
        this.fd = fd;
    }

    /**
     * Opens {@code relative} beneath {@code directory} read-only ({@code openat2} with {@code RESOLVE_BENEATH},
     * no symbolic or magic link followed): a regular file, else {@link NtStatus#FILE_IS_A_DIRECTORY} or
     * {@link NtStatus#INVALID_PARAMETER}; a missing one {@link NtStatus#OBJECT_NAME_NOT_FOUND}, a link
     * {@link NtStatus#STOPPED_ON_SYMLINK}, a name out of the directory or no permission {@link NtStatus#ACCESS_DENIED}.
     */
    public static LentFile open(Path directory, String relative) {
        String rel = relative.startsWith("/") ? relative.substring(1) : relative;
        if (rel.isEmpty() || directory.getFileSystem() != java.nio.file.FileSystems.getDefault()) {
            throw new NtStatusException(NtStatus.NOT_SUPPORTED, "no descriptor for '" + relative + "' in " + directory.toUri());
        }
        int dir = -1;
        int f = -1;
        try {
            dir = Unix.open(directory.toString(), Unix.O_PATH | Unix.O_DIRECTORY | Unix.O_CLOEXEC);
            f = Unix.openat2(dir, rel, Unix.O_RDONLY | Unix.O_NONBLOCK | Unix.O_NOCTTY | Unix.O_NOFOLLOW | Unix.O_CLOEXEC,
                    Unix.RESOLVE_BENEATH | Unix.RESOLVE_NO_SYMLINKS | Unix.RESOLVE_NO_MAGICLINKS);
            LentFile lent = adopt(f);
            f = -1;
            return lent;
        } catch (Unix.Errno e) {
            throw new NtStatusException(statusOf(e.errno()), "cannot lend '" + relative + "': " + e.getMessage());
        } finally {
            if (f >= 0) {
                Unix.close(f);
            }
            if (dir >= 0) {
                Unix.close(dir);
            }
        }
    }

    private static NtStatus statusOf(int errno) {
        return switch (errno) {
            case 2, 20 -> NtStatus.OBJECT_NAME_NOT_FOUND; // ENOENT, ENOTDIR
            case 13, 1 -> NtStatus.ACCESS_DENIED; // EACCES, EPERM
            case 40 -> NtStatus.STOPPED_ON_SYMLINK; // ELOOP: a link
            case 18 -> NtStatus.ACCESS_DENIED; // EXDEV: out of the directory
            case 21 -> NtStatus.FILE_IS_A_DIRECTORY;
            case 24, 23, 12 -> NtStatus.INSUFFICIENT_RESOURCES; // EMFILE, ENFILE, ENOMEM
            default -> NtStatus.UNEXPECTED_IO_ERROR;
        };
    }

    /** A sealed memory file holding {@code content} (no one can change it), opened read-only. */
    public static LentFile snapshot(byte[] content) {
        int rw = -1;
        try {
            rw = Unix.memfdCreate("altitude-lent", Unix.MFD_CLOEXEC | Unix.MFD_ALLOW_SEALING);
            try (Arena a = Arena.ofConfined()) {
                Unix.writeFully(rw, a.allocateFrom(ValueLayout.JAVA_BYTE, content));
            }
            Unix.fcntl(rw, Unix.F_ADD_SEALS, Unix.F_SEAL_SHRINK | Unix.F_SEAL_GROW | Unix.F_SEAL_WRITE | Unix.F_SEAL_SEAL);
            return adopt(Unix.open("/proc/self/fd/" + rw, Unix.O_RDONLY | Unix.O_CLOEXEC));
        } catch (Unix.Errno e) {
            throw new NtStatusException(NtStatus.INSUFFICIENT_RESOURCES, "cannot make a memory file: " + e.getMessage());
        } finally {
            if (rw >= 0) {
                Unix.close(rw);
            }
        }
    }

    /**
     * Takes over {@code fd}, which must be open read-only on a regular file (else it is closed, and
     * {@link NtStatus#INVALID_PARAMETER} or {@link NtStatus#FILE_IS_A_DIRECTORY}). The caller no longer closes it.
     */
    public static LentFile adopt(int fd) {
        try {
            long[] st = Unix.fstat(fd);
            int accmode = Unix.fcntl(fd, Unix.F_GETFL, 0) & Unix.O_ACCMODE;
            if ((st[0] & Unix.S_IFMT) != Unix.S_IFREG || accmode != Unix.O_RDONLY) {
                boolean directory = (st[0] & Unix.S_IFMT) == 0040000;
                throw new NtStatusException(directory ? NtStatus.FILE_IS_A_DIRECTORY : NtStatus.INVALID_PARAMETER,
                        "only a regular file open read-only is lent (mode 0" + Long.toOctalString(st[0])
                                + ", access " + accmode + ")");
            }
            return new LentFile(fd);
        } catch (Unix.Errno e) {
            Unix.close(fd);
            throw new NtStatusException(NtStatus.INVALID_HANDLE, "cannot lend descriptor " + fd + ": " + e.getMessage());
        } catch (NtStatusException e) {
            Unix.close(fd);
            throw e;
        }
    }

    /**
     * A lent file of the open file {@code fd}, which the caller keeps: a duplicate of it ({@code F_DUPFD_CLOEXEC}),
     * checked as {@link #adopt} checks (a front end whose events come with a descriptor, fanotify's).
     */
    public static LentFile copyOf(int fd) {
        int copy;
        try {
            copy = Unix.fcntl(fd, Unix.F_DUPFD_CLOEXEC, 0);
        } catch (Unix.Errno e) {
            throw new NtStatusException(e.errno() == 24 ? NtStatus.INSUFFICIENT_RESOURCES : NtStatus.INVALID_HANDLE,
                    "cannot lend descriptor " + fd + ": " + e.getMessage());
        }
        return adopt(copy);
    }

    /** A descriptor that came over a descriptor socket: adopted as it is (the client checks nothing it cannot use). */
    static LentFile received(int fd) {
        return new LentFile(fd);
    }

    /** Runs once, after the descriptor is closed (by whoever closes it). */
    void onClose(Runnable r) {
        this.onClose = r;
    }

    /** The file's size now. */
    public long size() throws IOException {
        lock.readLock().lock();
        try {
            return Unix.fstat(open())[1];
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Reads into {@code dst} from {@code position}: the bytes read, -1 at the end. */
    public int read(ByteBuffer dst, long position) throws IOException {
        if (position < 0) {
            throw new IllegalArgumentException("position " + position);
        }
        if (!dst.hasRemaining()) {
            return 0;
        }
        lock.readLock().lock();
        try (Arena a = Arena.ofConfined()) {
            int fd = open();
            MemorySegment buf = dst.isDirect() ? MemorySegment.ofBuffer(dst) : a.allocate(dst.remaining());
            int n = (int) Unix.pread(fd, buf, position);
            if (n == 0) {
                return -1;
            }
            if (!dst.isDirect()) {
                dst.put(buf.asSlice(0, n).asByteBuffer());
            } else {
                dst.position(dst.position() + n);
            }
            return n;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The whole file, from the start, as a stream (reads go to the descriptor, nothing is kept). */
    public InputStream inputStream() {
        return new InputStream() {
            private long at;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                java.util.Objects.checkFromIndexSize(off, len, b.length);
                if (len == 0) {
                    return 0;
                }
                int n = LentFile.this.read(ByteBuffer.wrap(b, off, len), at);
                if (n > 0) {
                    at += n;
                }
                return n;
            }
        };
    }

    public boolean isOpen() {
        lock.readLock().lock();
        try {
            return fd >= 0;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Runs {@code use} with the descriptor held open meanwhile. */
    <T> T withDescriptor(DescriptorUse<T> use) throws IOException {
        lock.readLock().lock();
        try {
            return use.apply(open());
        } finally {
            lock.readLock().unlock();
        }
    }

    @FunctionalInterface
    interface DescriptorUse<T> {
        T apply(int fd) throws IOException;
    }

    private int open() throws IOException {
        int f = fd;
        if (f < 0) {
            throw new java.nio.channels.ClosedChannelException();
        }
        return f;
    }

    /** Closes the descriptor; again does nothing. */
    @Override
    public void close() {
        int f;
        lock.writeLock().lock();
        try {
            f = fd;
            fd = -1;
        } finally {
            lock.writeLock().unlock();
        }
        if (f >= 0) {
            Unix.close(f);
            Runnable r = onClose;
            if (r != null) {
                r.run();
            }
        }
    }

    @Override
    public String toString() {
        return "LentFile[" + (isOpen() ? "open" : "closed") + "]";
    }
}
