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
import dev.altitude.core.IoParameters.CreateOption;
import dev.altitude.core.IoParameters.FileInformation;
import dev.altitude.core.IoParameters.FileKind;
import dev.altitude.core.IoResult;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import dev.altitude.core.Principal;
import dev.altitude.core.VolumeBackend;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A volume's file system: a source directory held as a descriptor, with every call relative to it through libc
 * (FFM), for a daemon that runs as root on behalf of other users. A volume path is resolved with
 * {@code openat2(source, path, …, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)}: nothing outside
 * the source, no link followed on the way (also one swapped in after the kernel's lookup), and the last component
 * never followed either (an operation that reaches a link means the link: {@code chown -h}, {@code touch -h}).
 *
 * <p>An open file is a descriptor: a data open is the file opened for reading or writing, any other open an
 * {@code O_PATH} descriptor of the entry itself. Every operation on an open file uses its descriptor, so an open
 * file keeps working after it is renamed or unlinked (attributes by {@code statx(fd, "", AT_EMPTY_PATH)}, mode and
 * owner by {@code fchmodat2}/{@code fchownat} on it, times by {@code utimensat} on it). Only the operations on a
 * name — delete, rename, link, create — resolve the name again. A failure completes with the status of its errno
 * ({@link Errnos}) and keeps the errno itself as the {@link IoResult.BackendFailure}, so the front end answers
 * exactly what the source said.
 */
public final class PosixBackend implements VolumeBackend {
    private static final long RESOLVE = Libc.RESOLVE_BENEATH | Libc.RESOLVE_NO_SYMLINKS | Libc.RESOLVE_NO_MAGICLINKS;
    private static final int LISTING_BUFFER = 64 * 1024;

    private final Path source;
    private final int rootFd;
    private final String storeName;
    private final String storeType;
    private volatile boolean closed;

    /** An open file or directory: its descriptor, and whether it is open for data (else {@code O_PATH}). */
    static final class Handle {
        final int fd;
        final boolean data;
        /**
         * Twice the operations running on the descriptor, plus one once it is closed: the descriptor is closed when
         * the last of them ends, so no operation can find its number reused by another file meanwhile.
         */
        private final java.util.concurrent.atomic.AtomicInteger state = new java.util.concurrent.atomic.AtomicInteger();
        private final Runnable closer;

        Handle(int fd, boolean data) {
            this.fd = fd;
            this.data = data;
            this.closer = null;
        }

        /** For the tests of the protocol: {@code closer} instead of {@code close(2)} (null: close the descriptor). */
        Handle(boolean data, Runnable closer) {
            this.fd = -1;
            this.data = data;
            this.closer = closer;
        }

        /** An operation starts on the descriptor; false once it is closed. */
        boolean enter() {
            int s;
            do {
                s = state.get();
                if ((s & 1) != 0) {
                    return false;
                }
            } while (!state.compareAndSet(s, s + 2));
            return true;
        }

        /** An operation ends; the last one after the close closes the descriptor. */
        void exit() {
            if (state.addAndGet(-2) == 1) {
                if (closer == null) {
                    Libc.close(fd);
                } else {
                    closer.run();
                }
            }
        }

        /** Called inside an operation (entered): the descriptor closes when every operation on it has ended. */
        void closeWhenIdle() {
            state.updateAndGet(s -> s | 1);
        }
    }

    private final dev.altitude.core.VolumeProperties properties;

    private PosixBackend(Path source, int rootFd, String storeName, String storeType, dev.altitude.core.VolumeProperties properties) {
        this.properties = properties;
        this.source = source;
        this.rootFd = rootFd;
        this.storeName = storeName;
        this.storeType = storeType;
    }

    /** The backend of {@code source}, a directory reached without following a link in its last component. */
    public static PosixBackend open(Path source) throws IOException {
        Path real = source.toRealPath();
        java.nio.file.FileStore store = Files.getFileStore(real);
        try (Arena a = Arena.ofConfined()) {
            int fd = Libc.openat(Libc.AT_FDCWD, a.allocateFrom(real.toString()),
                    Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0, "open " + real);
            return new PosixBackend(real, fd, store.name(), store.type(), dev.altitude.core.VolumeProperties.of(store));
        }
    }

    /** The source directory (its real path when the backend was opened). */
    public Path source() {
        return source;
    }

    /** The source file, opened read-only beneath the source, following no link. */
    @Override
    public dev.altitude.core.LentFile lendFile(FileObject file) {
        try (Arena a = Arena.ofConfined()) {
            int fd = openBeneath(a, relative(file.path()), O_RDONLY_NONBLOCK_NOCTTY, 0, "lend " + file.path());
            return dev.altitude.core.LentFile.adopt(fd);
        } catch (Libc.Errno e) {
            throw new NtStatusException(Errnos.toStatus(e.errno()), "cannot lend " + file.path() + ": " + e.getMessage());
        }
    }

    /** O_RDONLY | O_NONBLOCK | O_NOCTTY: a FIFO put in the file's place does not block the open. */
    private static final int O_RDONLY_NONBLOCK_NOCTTY = 04000 | 0400;

    @Override
    public String fileSystemType() {
        return "posix:" + storeType;
    }

    /** The source's file store's block size (its {@code st_blksize}); the page cache asks no alignment. */
    @Override
    public dev.altitude.core.VolumeProperties properties() {
        return properties;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Libc.close(rootFd);
        }
    }

    @Override
    public void perform(CallbackData data) {
        FileObject fo = data.fileObject();
        Handle entered = null;
        if (!(data.parameters() instanceof IoParameters.Create) && fo != null && fo.backendHandle() instanceof Handle h) {
            if (!h.enter()) {
                data.complete(NtStatus.INVALID_HANDLE, 0); // closed meanwhile
                return;
            }
            entered = h;
        }
        try {
            performOn(data, fo);
        } finally {
            if (entered != null) {
                entered.exit();
            }
        }
    }

    private void performOn(CallbackData data, FileObject fo) {
        try {
            switch (data.parameters()) { // the data path first, without an arena
                case IoParameters.Read r -> {
                    long n = read(handle(fo).fd, r.buffer(), r.offset());
                    data.complete(n == 0 && r.buffer().hasRemaining() ? NtStatus.END_OF_FILE : NtStatus.SUCCESS, n);
                    return;
                }
                case IoParameters.Write w -> {
                    data.complete(NtStatus.SUCCESS, write(handle(fo).fd, w.buffer(), w.offset()));
                    return;
                }
                default -> { }
            }
        } catch (Libc.Errno e) {
            data.complete(Errnos.toStatus(e.errno()), 0);
            data.setResult(new IoResult.BackendFailure(e));
            return;
        } catch (NtStatusException e) {
            data.complete(e.status(), 0);
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            switch (data.parameters()) {
                case IoParameters.Create c -> create(a, fo, c);
                case IoParameters.Read r -> throw new IllegalStateException("served above");
                case IoParameters.Write w -> throw new IllegalStateException("served above");
                case IoParameters.QueryInformation q -> data.setResult(query(a, handle(fo), q.informationClass()));
                case IoParameters.SetInformation s -> setInformation(a, fo, handle(fo), s.information());
                case IoParameters.QuerySecurity q -> {
                    IoResult.FileAttributes at = attributes(a, handle(fo).fd);
                    data.setResult(new IoResult.Security(at.mode(), at.owner(), at.group()));
                }
                case IoParameters.SetSecurity s -> setSecurity(a, handle(fo), s);
                case IoParameters.DirectoryControl d -> {
                    List<IoResult.DirectoryEntry> entries = list(a, handle(fo), d.pattern(), d.withAttributes());
                    data.setResult(new IoResult.DirectoryListing(entries));
                    data.complete(NtStatus.SUCCESS, entries.size());
                    return;
                }
                case IoParameters.FlushBuffers f -> Libc.fsync(handle(fo).fd, f.dataOnly());
                case IoParameters.QueryVolumeInformation q -> data.setResult(volume(a));
                case IoParameters.FileSystemControl f -> {
                    switch (f.control()) {
                        case IoParameters.FsControl.GetReparsePoint g -> {
                            MemorySegment buf = a.allocate(4096);
                            long n = Libc.readlinkat(handle(fo).fd, a.allocateFrom(""), buf, "readlink " + fo.path());
                            data.setResult(new IoResult.ReparsePoint(new String(buf.asSlice(0, n).toArray(JAVA_BYTE),
                                    StandardCharsets.UTF_8)));
                        }
                        case IoParameters.FsControl.QueryAllocatedRanges q -> {
                            try {
                                data.setResult(new IoResult.Offset(Libc.lseek(handle(fo).fd, q.offset(),
                                        q.hole() ? Libc.SEEK_HOLE : Libc.SEEK_DATA)));
                            } catch (Libc.Errno e) {
                                if (e.errno() != Errnos.ENXIO) {
                                    throw e;
                                }
                                data.complete(NtStatus.END_OF_FILE, 0); // no data (or hole) at or after the offset
                                return;
                            }
                        }
                    }
                }
                case IoParameters.LockControl l when l.test() -> {
                    IoResult.LockConflict in = lockTest(a, handle(fo), l);
                    if (in != null) {
                        data.setResult(in);
                    }
                }
                case IoParameters.LockControl l -> {
                    if (!lock(a, handle(fo), l)) {
                        data.complete(NtStatus.LOCK_NOT_GRANTED, 0);
                        return;
                    }
                }
                case IoParameters.QueryEa q -> {
                    IoResult r = queryEa(a, handle(fo), q);
                    if (r == null) {
                        data.complete(NtStatus.NO_EAS_ON_FILE, 0);
                        return;
                    }
                    data.setResult(r);
                }
                case IoParameters.SetEa e -> setEa(a, handle(fo), e);
                case IoParameters.Cleanup c -> { }
                case IoParameters.Close c -> {
                    if (fo.backendHandle() instanceof Handle h) {
                        fo.setBackendHandle(null);
                        h.closeWhenIdle();
                    }
                }
                case IoParameters.Shutdown s -> { }
                case IoParameters.AcquireForSectionSynchronization section -> { }
                case IoParameters.NotifyChangeDirectory n -> throw new NtStatusException(NtStatus.NOT_SUPPORTED,
                        "change notification is not supported by this backend");
                case IoParameters.QueryOpen q -> throw new NtStatusException(NtStatus.NOT_SUPPORTED,
                        "queries by name are not supported by this backend (the kernel asks by node)");
            }
            data.complete(NtStatus.SUCCESS, 0);
        } catch (Libc.Errno e) {
            data.complete(Errnos.toStatus(e.errno()), 0);
            data.setResult(new IoResult.BackendFailure(e));
        } catch (NtStatusException e) {
            data.complete(e.status(), 0);
        } catch (IOException | RuntimeException e) {
            data.complete(NtStatus.UNEXPECTED_IO_ERROR, 0);
            data.setResult(new IoResult.BackendFailure(e));
        }
    }

    /** The errno a failed operation left, if this backend failed it; else -1. */
    public static int errnoOf(CallbackData data) {
        return data.result() instanceof IoResult.BackendFailure f && f.cause() instanceof Libc.Errno e ? e.errno() : -1;
    }

    /** The source descriptor of a file open for data on this backend, or -1 (another backend, or no data open). */
    static int descriptorOf(FileObject fo) {
        return fo.backendHandle() instanceof Handle h && h.data ? h.fd : -1;
    }

    private static Handle handle(FileObject fo) {
        if (!(fo.backendHandle() instanceof Handle h)) {
            throw new NtStatusException(NtStatus.INVALID_HANDLE, "file object " + fo + " is not open on this volume");
        }
        return h;
    }

    // ---- names --------------------------------------------------------------------------------------

    /** A volume path's parent, held open ({@code O_PATH}) beneath the source, and its last component. */
    private record Parent(int fd, String name, boolean owned) implements AutoCloseable {
        @Override
        public void close() {
            if (owned) {
                Libc.close(fd);
            }
        }
    }

    /**
     * Opens the parent of {@code volumePath} beneath the source. A {@code .} or {@code ..} component is refused: the
     * kernel never sends one. The root itself has no parent: its name is {@code "."} in the source.
     */
    private Parent parent(Arena a, String volumePath) throws IOException {
        relative(volumePath); // refuses a '.' or '..' component
        int slash = volumePath.lastIndexOf('/');
        String name = volumePath.substring(slash + 1);
        String dir = volumePath.substring(0, Math.max(0, slash));
        if (name.isEmpty()) {
            return new Parent(rootFd, ".", false);
        }
        String rel = dir.startsWith("/") ? dir.substring(1) : dir;
        if (rel.isEmpty()) {
            return new Parent(rootFd, name, false);
        }
        return new Parent(openBeneath(a, rel, Libc.O_PATH | Libc.O_DIRECTORY, 0, "open " + dir), name, true);
    }

    /**
     * A volume path as a path relative to the source ({@code /} is {@code .}). A {@code .} or {@code ..} component is
     * refused: the kernel never sends one.
     */
    private static String relative(String volumePath) {
        for (String part : volumePath.split("/")) {
            if (part.equals(".") || part.equals("..")) {
                throw new NtStatusException(NtStatus.ACCESS_DENIED, "'" + volumePath + "': a '.' or '..' component");
            }
        }
        String rel = volumePath.startsWith("/") ? volumePath.substring(1) : volumePath;
        return rel.isEmpty() ? "." : rel;
    }

    private int openBeneath(Arena a, String relative, int flags, int mode, String what) throws Libc.Errno {
        MemorySegment how = a.allocate(Libc.OPEN_HOW);
        how.set(JAVA_LONG, 0, flags | Libc.O_CLOEXEC);
        how.set(JAVA_LONG, 8, (flags & Libc.O_CREAT) != 0 ? mode : 0); // the kernel refuses a mode without O_CREAT
        how.set(JAVA_LONG, 16, RESOLVE);
        return Libc.openat2(rootFd, a.allocateFrom(relative), how, what);
    }

    // ---- opening and creating -----------------------------------------------------------------------

    /**
     * An open of an entry (a file, for data or metadata, or a directory for its listing) is one {@code openat2} of
     * its whole path beneath the source; making an entry of another kind names it in its parent's descriptor.
     */
    private void create(Arena a, FileObject fo, IoParameters.Create c) throws IOException {
        String path = fo.path();
        int asked = c.mode() == null ? -1 : c.mode().bits();
        int fd;
        boolean data = false;
        if (c.kind() == FileKind.FILE) {
            Set<Access> access = c.access();
            boolean read = access.contains(Access.READ_DATA);
            boolean write = access.contains(Access.WRITE_DATA) || access.contains(Access.APPEND_DATA);
            data = read || write || c.disposition() != IoParameters.CreateDisposition.OPEN;
            int flags = data ? openFlags(c, read, write) : Libc.O_PATH | Libc.O_NOFOLLOW;
            if ((flags & Libc.O_CREAT) == 0) {
                // a trailing link: ELOOP for data (O_NOFOLLOW), the link itself for metadata (O_PATH | O_NOFOLLOW)
                fd = openBeneath(a, relative(path), flags, 0, "open " + path);
            } else {
                fd = createFile(a, path, flags, c, asked < 0 ? 0644 : asked);
            }
        } else if (c.kind() == FileKind.DIRECTORY && c.disposition() != IoParameters.CreateDisposition.CREATE) {
            fd = openBeneath(a, relative(path), Libc.O_DIRECTORY | Libc.O_NOFOLLOW, 0, "opendir " + path);
            data = true;
        } else {
            try (Parent p = parent(a, path)) {
                MemorySegment name = a.allocateFrom(p.name());
                int mode = modeOf(a, p, c, asked < 0 ? (c.kind() == FileKind.DIRECTORY ? 0755 : 0644) : asked);
                switch (c.kind()) {
                    case DIRECTORY -> Libc.mkdirat(p.fd(), name, mode & ~DEFAULT_ACL, "mkdir " + path);
                    case SYMBOLIC_LINK -> Libc.symlinkat(a.allocateFrom(c.linkTarget()), p.fd(), name, "symlink " + path);
                    case HARD_LINK -> {
                        try (Parent existing = parent(a, c.linkTarget())) {
                            Libc.linkat(existing.fd(), a.allocateFrom(existing.name()), p.fd(), name, 0, "link " + path);
                        }
                    }
                    case FIFO, SOCKET, CHARACTER_DEVICE, BLOCK_DEVICE -> Libc.mknodat(p.fd(), name,
                            c.kind().posixType() | (mode & ~DEFAULT_ACL), c.device(), "mknod " + path);
                    case FILE -> throw new IllegalStateException("a file is opened above");
                }
                fd = Libc.openat(p.fd(), name, Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0, "open " + path);
                if (c.kind() != FileKind.SYMBOLIC_LINK && c.kind() != FileKind.HARD_LINK) {
                    keepMode(a, fd, mode);
                }
            }
        }
        fo.setBackendHandle(new Handle(fd, data));
    }

    /** Set in a {@link #modeOf} result: the directory has a default ACL, which decided the new entry's permissions. */
    private static final int DEFAULT_ACL = 1 << 30;

    /**
     * The mode a new entry of {@code p} gets: {@code asked} without the creator's umask, unless the directory has a
     * default ACL (then {@code asked} whole, marked {@link #DEFAULT_ACL}: the source file system masks it by the ACL).
     */
    private static int modeOf(Arena a, Parent p, IoParameters.Create c, int asked) {
        if (c.umask() == 0 && PROCESS_UMASK == 0) {
            return asked;
        }
        if (hasDefaultAcl(a, p.fd())) {
            return asked | DEFAULT_ACL;
        }
        return asked & ~c.umask();
    }

    private static boolean hasDefaultAcl(Arena a, int dirFd) {
        try {
            return Libc.getxattr(a.allocateFrom("/proc/self/fd/" + dirFd), a.allocateFrom("system.posix_acl_default"),
                    MemorySegment.NULL) > 0;
        } catch (Libc.Errno e) {
            return false; // ENODATA: none; EOPNOTSUPP: the source keeps no ACLs
        }
    }

    /**
     * The daemon's own umask applied too when the source made the entry (where no default ACL decided): the entry
     * gets the mode it was to have, by {@code fchmod} of the new entry, never wider than that mode at any moment.
     */
    private static void keepMode(Arena a, int fd, int mode) throws Libc.Errno {
        if ((mode & DEFAULT_ACL) == 0 && (mode & 0777 & PROCESS_UMASK) != 0) {
            Libc.fchmodat2(fd, a.allocateFrom(""), mode & 07777, Libc.AT_EMPTY_PATH, "chmod");
        }
    }

    /**
     * A file open with {@code O_CREAT}. Where the mode needs the umask or the daemon's own umask undone, whether
     * this open made the file decides: {@code O_EXCL} first, then (it exists) the open without {@code O_CREAT}.
     */
    private int createFile(Arena a, String path, int flags, IoParameters.Create c, int asked) throws IOException {
        if (c.umask() == 0 && PROCESS_UMASK == 0) {
            return openBeneath(a, relative(path), flags, asked, "open " + path);
        }
        int mode;
        try (Parent p = parent(a, path)) {
            mode = modeOf(a, p, c, asked);
        }
        if ((flags & Libc.O_EXCL) != 0) { // made by this open, or an error
            int fd = openBeneath(a, relative(path), flags, mode & ~DEFAULT_ACL, "open " + path);
            keepMode(a, fd, mode);
            return fd;
        }
        for (int attempt = 0; ; attempt++) {
            try {
                int fd = openBeneath(a, relative(path), (flags | Libc.O_EXCL) & ~Libc.O_TRUNC, mode & ~DEFAULT_ACL,
                        "open " + path);
                keepMode(a, fd, mode);
                return fd;
            } catch (Libc.Errno e) {
                if (e.errno() != Errnos.EEXIST) {
                    throw e;
                }
            }
            try {
                return openBeneath(a, relative(path), flags & ~Libc.O_CREAT, 0, "open " + path);
            } catch (Libc.Errno e) {
                if (e.errno() != Errnos.ENOENT || attempt == 3) {
                    throw e; // removed between the two opens, again and again
                }
            }
        }
    }

    /** The daemon's umask, which the source applies to every entry it makes; read once from {@code /proc}. */
    private static final int PROCESS_UMASK = processUmask();

    private static int processUmask() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Umask:")) {
                    return Integer.parseInt(line.substring(6).strip(), 8);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through: assume the usual
        }
        return 022;
    }

    private static int openFlags(IoParameters.Create c, boolean read, boolean write) {
        int flags = Libc.O_NOFOLLOW | Libc.O_CLOEXEC | (read && write ? Libc.O_RDWR : write ? Libc.O_WRONLY : 0);
        Set<Access> access = c.access();
        if (access.contains(Access.APPEND_DATA) && !access.contains(Access.WRITE_DATA)) {
            flags |= Libc.O_APPEND;
        }
        flags |= switch (c.disposition()) {
            case CREATE -> Libc.O_CREAT | Libc.O_EXCL;
            case OPEN_IF -> Libc.O_CREAT;
            case OVERWRITE -> Libc.O_TRUNC;
            case OVERWRITE_IF, SUPERSEDE -> Libc.O_CREAT | Libc.O_TRUNC;
            case OPEN -> 0;
        };
        Set<CreateOption> o = c.options();
        if (o.contains(CreateOption.WRITE_THROUGH)) {
            flags |= Libc.O_SYNC;
        } else if (o.contains(CreateOption.SYNC_DATA_ONLY)) {
            flags |= Libc.O_DSYNC;
        }
        if (o.contains(CreateOption.DIRECTORY_FILE)) {
            flags |= Libc.O_DIRECTORY;
        }
        return flags;
    }

    // ---- data ---------------------------------------------------------------------------------------

    /** {@code pread} into the buffer's remaining bytes, advancing its position; direct buffers without a copy. */
    private static long read(int fd, ByteBuffer into, long offset) throws Libc.Errno {
        int want = into.remaining();
        long n;
        if (into.isDirect()) {
            n = Libc.pread(fd, MemorySegment.ofBuffer(into), offset);
        } else {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment tmp = a.allocate(Math.max(1, want));
                n = Libc.pread(fd, tmp.asSlice(0, want), offset);
                into.put(into.position(), tmp.asSlice(0, n).toArray(JAVA_BYTE));
            }
        }
        into.position(into.position() + (int) n);
        return n;
    }

    /** {@code pwrite} of the buffer's remaining bytes ({@code write} at the end for an append), advancing it. */
    private static long write(int fd, ByteBuffer from, long offset) throws Libc.Errno {
        MemorySegment src;
        Arena a = null;
        if (from.isDirect()) {
            src = MemorySegment.ofBuffer(from);
        } else {
            a = Arena.ofConfined();
            src = a.allocate(Math.max(1, from.remaining())).asSlice(0, from.remaining());
            MemorySegment.copy(MemorySegment.ofBuffer(from), 0, src, 0, from.remaining());
        }
        try {
            long n = offset == IoParameters.Write.APPEND ? Libc.write(fd, src) : Libc.pwrite(fd, src, offset);
            from.position(from.position() + (int) n);
            return n;
        } finally {
            if (a != null) {
                a.close();
            }
        }
    }

    // ---- attributes ---------------------------------------------------------------------------------

    private IoResult query(Arena a, Handle h, FileInformationClass c) throws IOException {
        return switch (c) {
            case FileStandardInformation -> {
                IoResult.FileAttributes at = attributes(a, h.fd);
                yield new IoResult.StandardInformation(at.size(), at.kind() == FileKind.DIRECTORY);
            }
            case FileNormalizedNameInformation -> {
                Path real = Files.readSymbolicLink(Path.of("/proc/self/fd/" + h.fd));
                if (!real.startsWith(source)) {
                    throw new NtStatusException(NtStatus.ACCESS_DENIED, real + " is outside the volume");
                }
                StringBuilder b = new StringBuilder();
                for (Path part : source.relativize(real)) {
                    if (!part.toString().isEmpty()) {
                        b.append('/').append(part);
                    }
                }
                yield new IoResult.NormalizedName(b.isEmpty() ? "/" : b.toString());
            }
            case FileAccessInformation -> {
                MemorySegment self = a.allocateFrom("/proc/self/fd/" + h.fd);
                yield new IoResult.AccessInformation(Libc.faccessat(Libc.AT_FDCWD, self, 4, Libc.AT_EACCESS),
                        Libc.faccessat(Libc.AT_FDCWD, self, 2, Libc.AT_EACCESS),
                        Libc.faccessat(Libc.AT_FDCWD, self, 1, Libc.AT_EACCESS));
            }
            case FileAllInformation, FileBasicInformation, FileNetworkOpenInformation, FilePosixInformation,
                 FileAttributeTagInformation -> attributes(a, h.fd);
            case FileRenameInformation, FileLinkInformation, FileDispositionInformation, FilePositionInformation,
                 FileAllocationInformation, FileEndOfFileInformation, FileDispositionInformationEx,
                 FileRenameInformationEx -> throw new NtStatusException(NtStatus.INVALID_PARAMETER, c + " is not queried");
        };
    }

    /** {@code statx} of the descriptor itself (a link's own attributes), with the birth time where the source keeps it. */
    static IoResult.FileAttributes attributes(Arena a, int fd) throws Libc.Errno {
        MemorySegment st = a.allocate(Libc.STATX);
        Libc.statx(fd, a.allocateFrom(""), Libc.AT_EMPTY_PATH | Libc.AT_SYMLINK_NOFOLLOW,
                Libc.STATX_BASIC_STATS | Libc.STATX_BTIME, st, "statx");
        return attributes(st);
    }

    /** An entry of the directory open as {@code dirFd}, not followed if it is a link; null if it is gone. */
    private static IoResult.FileAttributes attributesOf(Arena a, int dirFd, String name) throws Libc.Errno {
        MemorySegment st = a.allocate(Libc.STATX);
        try {
            Libc.statx(dirFd, a.allocateFrom(name), Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS | Libc.STATX_BTIME,
                    st, "statx");
        } catch (Libc.Errno e) {
            if (e.errno() == Errnos.ENOENT) {
                return null;
            }
            throw e;
        }
        return attributes(st);
    }

    private static IoResult.FileAttributes attributes(MemorySegment st) {
        int mode = Short.toUnsignedInt(st.get(JAVA_SHORT, STX_MODE));
        FileTime mtime = time(st, STX_MTIME);
        boolean born = (st.get(JAVA_INT, STX_MASK) & Libc.STATX_BTIME) != 0;
        return new IoResult.FileAttributes(FileKind.ofPosixMode(mode), st.get(JAVA_LONG, STX_SIZE), mtime,
                time(st, STX_ATIME), born ? time(st, STX_BTIME) : mtime, time(st, STX_CTIME), FileMode.of(mode & 07777),
                Principal.ofId(st.get(JAVA_INT, STX_UID)), Principal.ofId(st.get(JAVA_INT, STX_GID)),
                st.get(JAVA_LONG, STX_INO), makedev(st.get(JAVA_INT, STX_DEV_MAJOR), st.get(JAVA_INT, STX_DEV_MINOR)),
                st.get(JAVA_INT, STX_NLINK), makedev(st.get(JAVA_INT, STX_RDEV_MAJOR), st.get(JAVA_INT, STX_RDEV_MINOR)),
                st.get(JAVA_LONG, STX_BLOCKS) * 512);
    }

    /** {@code struct statx}'s offsets, computed once (every GETATTR reads a dozen of them). */
    private static final long STX_MASK = off("stx_mask"), STX_MODE = off("stx_mode"), STX_SIZE = off("stx_size"),
            STX_UID = off("stx_uid"), STX_GID = off("stx_gid"), STX_INO = off("stx_ino"), STX_NLINK = off("stx_nlink"),
            STX_BLOCKS = off("stx_blocks"), STX_ATIME = off("stx_atime"), STX_BTIME = off("stx_btime"),
            STX_CTIME = off("stx_ctime"), STX_MTIME = off("stx_mtime"), STX_DEV_MAJOR = off("stx_dev_major"),
            STX_DEV_MINOR = off("stx_dev_minor"), STX_RDEV_MAJOR = off("stx_rdev_major"),
            STX_RDEV_MINOR = off("stx_rdev_minor");

    private static long off(String field) {
        return Libc.STATX.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement(field));
    }

    private static FileTime time(MemorySegment st, long at) {
        return FileTime.from(Instant.ofEpochSecond(st.get(JAVA_LONG, at), Integer.toUnsignedLong(st.get(JAVA_INT, at + 8))));
    }

    /** glibc's {@code makedev}. */
    static long makedev(int major, int minor) {
        long maj = Integer.toUnsignedLong(major);
        long min = Integer.toUnsignedLong(minor);
        return ((maj & 0xfffL) << 8) | ((maj & ~0xfffL) << 32) | (min & 0xffL) | ((min & ~0xffL) << 12);
    }

    private void setInformation(Arena a, FileObject fo, Handle h, FileInformation info) throws IOException {
        switch (info) {
            case FileInformation.EndOfFile eof -> Libc.ftruncate(h.fd, eof.size());
            case FileInformation.Allocation al -> Libc.fallocate(h.fd, switch (al.kind()) {
                case ALLOCATE -> 0;
                case PUNCH_HOLE -> Libc.FALLOC_FL_PUNCH_HOLE;
                case ZERO_RANGE -> Libc.FALLOC_FL_ZERO_RANGE;
            } | (al.keepSize() ? Libc.FALLOC_FL_KEEP_SIZE : 0), al.offset(), al.length());
            case FileInformation.Disposition d -> {
                if (d.deleteFile()) {
                    try (Parent p = parent(a, fo.path())) {
                        MemorySegment name = a.allocateFrom(p.name());
                        try {
                            Libc.unlinkat(p.fd(), name, 0, "unlink " + fo.path());
                        } catch (Libc.Errno e) {
                            if (e.errno() != Errnos.EISDIR) {
                                throw e;
                            }
                            Libc.unlinkat(p.fd(), name, Libc.AT_REMOVEDIR, "rmdir " + fo.path());
                        }
                    }
                }
            }
            case FileInformation.Rename r -> {
                try (Parent from = parent(a, fo.path()); Parent to = parent(a, r.target())) {
                    int noReplace = r.replaceIfExists() ? 0 : Libc.RENAME_NOREPLACE;
                    int flags = switch (r.kind()) {
                        case MOVE -> noReplace;
                        case EXCHANGE -> Libc.RENAME_EXCHANGE;
                        case WHITEOUT -> Libc.RENAME_WHITEOUT | noReplace;
                    };
                    Libc.renameat2(from.fd(), a.allocateFrom(from.name()), to.fd(), a.allocateFrom(to.name()), flags,
                            "rename " + fo.path());
                }
            }
            case FileInformation.Basic b -> {
                if (b.lastAccessTime() != null || b.lastWriteTime() != null) {
                    MemorySegment times = a.allocate(Libc.TIMESPEC, 2);
                    timespec(times, 0, b.lastAccessTime());
                    timespec(times, 1, b.lastWriteTime());
                    Libc.utimensat(h.fd, a.allocateFrom(""), times, Libc.AT_EMPTY_PATH, "utimensat " + fo.path());
                }
            }
        }
    }

    private static void timespec(MemorySegment times, int i, FileTime t) {
        long at = i * Libc.TIMESPEC.byteSize();
        if (t == null) {
            times.set(JAVA_LONG, at, 0);
            times.set(JAVA_LONG, at + 8, Libc.UTIME_OMIT);
        } else {
            Instant instant = t.toInstant();
            times.set(JAVA_LONG, at, instant.getEpochSecond());
            times.set(JAVA_LONG, at + 8, instant.getNano());
        }
    }

    /** Owner and group before the mode: a chown clears set-user-ID and set-group-ID, which the mode asked may set. */
    private static void setSecurity(Arena a, Handle h, IoParameters.SetSecurity s) throws IOException {
        MemorySegment empty = a.allocateFrom("");
        if (s.owner() != null || s.group() != null) {
            Libc.fchownat(h.fd, empty, id(s.owner()), id(s.group()), Libc.AT_EMPTY_PATH, "chown");
        }
        if (s.mode() != null) {
            Libc.fchmodat2(h.fd, empty, s.mode().bits(), Libc.AT_EMPTY_PATH, "chmod");
        }
    }

    private static int id(Principal p) {
        if (p == null) {
            return -1;
        }
        if (!p.hasId()) {
            throw new NtStatusException(NtStatus.INVALID_PARAMETER, "a POSIX volume takes owners by id, not by name (" + p + ")");
        }
        return p.id();
    }

    // ---- directories --------------------------------------------------------------------------------

    /** The entries but {@code .} and {@code ..}; with their attributes ({@code statx} of each name in the directory) if asked. */
    private static List<IoResult.DirectoryEntry> list(Arena a, Handle h, String pattern, boolean withAttributes)
            throws IOException {
        if (!h.data) {
            throw new NtStatusException(NtStatus.INVALID_PARAMETER, "a directory listing needs a directory opened for it");
        }
        PathMatcher m = pattern == null ? null : FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        List<IoResult.DirectoryEntry> entries = new ArrayList<>();
        MemorySegment buf = a.allocate(LISTING_BUFFER, 8);
        Libc.lseek(h.fd, 0, Libc.SEEK_SET);
        while (true) {
            long n = Libc.getdents64(h.fd, buf);
            if (n == 0) {
                return entries;
            }
            for (long at = 0; at < n; ) {
                int reclen = Short.toUnsignedInt(buf.get(JAVA_SHORT, at + Libc.DIRENT64_RECLEN));
                int type = Byte.toUnsignedInt(buf.get(JAVA_BYTE, at + Libc.DIRENT64_TYPE));
                String name = buf.getString(at + Libc.DIRENT64_NAME);
                at += reclen;
                if (name.equals(".") || name.equals("..") || m != null && !m.matches(Path.of(name))) {
                    continue;
                }
                IoResult.FileAttributes attrs = withAttributes ? attributesOf(a, h.fd, name) : null;
                entries.add(attrs != null ? new IoResult.DirectoryEntry(name, attrs.kind(), attrs.size(), attrs)
                        : new IoResult.DirectoryEntry(name, type == 0 ? FileKind.FILE : FileKind.ofPosixMode(type << 12), -1));
            }
        }
    }

    private IoResult.VolumeInformation volume(Arena a) throws Libc.Errno {
        MemorySegment st = a.allocate(Libc.STATFS);
        Libc.fstatfs(rootFd, st);
        long block = st.get(JAVA_LONG, 8);
        long frsize = st.get(JAVA_LONG, 72);
        long unit = frsize > 0 ? frsize : block;
        boolean readOnly = (st.get(JAVA_LONG, 80) & 1) != 0; // ST_RDONLY
        return new IoResult.VolumeInformation(storeName, storeType, st.get(JAVA_LONG, 16) * unit, st.get(JAVA_LONG, 24) * unit,
                st.get(JAVA_LONG, 32) * unit, block, readOnly);
    }

    // ---- locks and extended attributes ----------------------------------------------------------------

    /**
     * A byte-range lock of the open file description ({@code F_OFD_SETLK}); false when another holds it and the
     * request fails at once. A lock that waits is tried again and again (50 µs apart, doubling up to 20 ms) rather
     * than waited for in {@code F_OFD_SETLKW}: only a signal ends that wait, and a caller interrupted meanwhile (FUSE's
     * INTERRUPT interrupts the thread) must get {@code STATUS_CANCELLED} (EINTR) at once.
     */
    private static boolean lock(Arena a, Handle h, IoParameters.LockControl l) throws Libc.Errno {
        MemorySegment f = flock(a, l.lock() ? (l.shared() ? Libc.F_RDLCK : Libc.F_WRLCK) : Libc.F_UNLCK, l.offset(),
                l.length());
        int whole = !l.lock() ? Libc.LOCK_UN : (l.shared() ? Libc.LOCK_SH : Libc.LOCK_EX) | Libc.LOCK_NB;
        LockTry once = () -> l.wholeFile() ? setWholeFileLock(h, whole) : setLock(h, f);
        return !l.lock() || l.failImmediately() ? once.granted() : waitFor(once);
    }

    /** One try at a lock: granted, or held by another. */
    private interface LockTry {
        boolean granted() throws Libc.Errno;
    }

    /** Tries {@code once} until it is granted, pausing between tries; interrupted: {@code STATUS_CANCELLED}. */
    private static boolean waitFor(LockTry once) throws Libc.Errno {
        long pause = 50_000;
        while (!once.granted()) {
            if (Thread.interrupted()) {
                throw new NtStatusException(NtStatus.CANCELLED, "a lock wait was interrupted");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, 20_000_000);
        }
        return true;
    }

    /** {@code flock(2)} without waiting; false when another open file holds it. */
    private static boolean setWholeFileLock(Handle h, int operation) throws Libc.Errno {
        try {
            Libc.flock(h.fd, operation);
            return true;
        } catch (Libc.Errno e) {
            if (e.errno() == Errnos.EAGAIN) {
                return false;
            }
            throw e;
        }
    }

    private static boolean setLock(Handle h, MemorySegment f) throws Libc.Errno {
        try {
            Libc.fcntlLock(h.fd, Libc.F_OFD_SETLK, f);
            return true;
        } catch (Libc.Errno e) {
            if (e.errno() == Errnos.EAGAIN || e.errno() == Errnos.EACCES) {
                return false;
            }
            throw e;
        }
    }

    /** {@code F_OFD_GETLK}: a lock in the way of the one {@code t} tests, or null if it would be granted. */
    private static IoResult.LockConflict lockTest(Arena a, Handle h, IoParameters.LockControl t) throws Libc.Errno {
        MemorySegment f = flock(a, t.shared() ? Libc.F_RDLCK : Libc.F_WRLCK, t.offset(), t.length());
        Libc.fcntlLock(h.fd, Libc.F_OFD_GETLK, f);
        if (f.get(JAVA_SHORT, 0) == Libc.F_UNLCK) {
            return null;
        }
        long length = f.get(JAVA_LONG, 16);
        return new IoResult.LockConflict(f.get(JAVA_LONG, 8), length == 0 ? Long.MAX_VALUE : length,
                f.get(JAVA_SHORT, 0) == Libc.F_RDLCK, Math.max(0, f.get(JAVA_INT, 24)));
    }

    /** A {@code struct flock} of {@code type} over a range ({@code length} {@link Long#MAX_VALUE}: to the end and beyond). */
    private static MemorySegment flock(Arena a, short type, long offset, long length) {
        MemorySegment f = a.allocate(Libc.FLOCK);
        f.fill((byte) 0);
        f.set(JAVA_SHORT, 0, type);
        f.set(JAVA_SHORT, 2, (short) Libc.SEEK_SET);
        f.set(JAVA_LONG, 8, offset);
        f.set(JAVA_LONG, 16, length == Long.MAX_VALUE ? 0 : length);
        return f;
    }

    /** The file itself, through its descriptor's {@code /proc} link (an {@code O_PATH} descriptor takes no xattr calls). */
    private static MemorySegment self(Arena a, Handle h) {
        return a.allocateFrom("/proc/self/fd/" + h.fd);
    }

    /**
     * Extended attributes of every namespace (the kernel checked that the caller may touch {@code trusted.} and
     * {@code security.} names before it sent the request): one value, or the names of one namespace without
     * their prefix, or every name with its prefix; null if it has no such attribute.
     */
    private static IoResult queryEa(Arena a, Handle h, IoParameters.QueryEa q) throws Libc.Errno {
        MemorySegment path = self(a, h);
        if (q.name() == null) {
            MemorySegment list = a.allocate(64 * 1024);
            long n = Libc.listxattr(path, list);
            List<String> names = new ArrayList<>();
            for (long at = 0; at < n; ) {
                String each = list.getString(at);
                at += each.getBytes(StandardCharsets.UTF_8).length + 1;
                if (q.namespace() == null) {
                    names.add(each);
                } else if (each.startsWith(q.namespace().prefix())) {
                    names.add(each.substring(q.namespace().prefix().length()));
                }
            }
            return new IoResult.EaNames(names);
        }
        MemorySegment value = a.allocate(64 * 1024);
        try {
            long n = Libc.getxattr(path, a.allocateFrom(q.namespace().prefix() + q.name()), value);
            return new IoResult.EaValue(value.asSlice(0, n).toArray(JAVA_BYTE));
        } catch (Libc.Errno e) {
            if (e.errno() == Errnos.ENODATA) {
                return null;
            }
            throw e;
        }
    }

    private static void setEa(Arena a, Handle h, IoParameters.SetEa e) throws Libc.Errno {
        MemorySegment path = self(a, h);
        MemorySegment name = a.allocateFrom(e.namespace().prefix() + e.name());
        if (e.value() == null) {
            Libc.removexattr(path, name); // a missing one: ENODATA, NO_EAS_ON_FILE
        } else {
            MemorySegment v = a.allocate(Math.max(1, e.value().length)).asSlice(0, e.value().length);
            MemorySegment.copy(e.value(), 0, v, JAVA_BYTE, 0, e.value().length);
            Libc.setxattr(path, name, v, 0);
        }
    }
}
