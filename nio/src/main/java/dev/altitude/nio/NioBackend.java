package dev.altitude.nio;

import dev.altitude.core.CallbackData;
import dev.altitude.core.FileObject;
import dev.altitude.core.IoParameters;
import dev.altitude.core.NtStatus;
import dev.altitude.core.VolumeBackend;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A volume's file system: a directory of any {@code java.nio} file system (the default disk, jimfs, a zip
 * file system). Volume paths ({@code /a/b}) resolve below the base; an open file's backend handle is a
 * {@link Handle} holding the base path and, for data opens, the base {@link FileChannel}.
 *
 * <p>Parameter forms it understands, beyond core's: {@code QueryInformation.query} is an attribute
 * string ({@code "posix:*"}), an attributes class, or one of {@link #SIZE}, {@link #REAL_PATH},
 * {@link #LINK_TARGET}; {@code SetInformation(FileBasicInformation)} and {@code SetSecurity} take an
 * {@link Attribute}; rename takes the target's volume path; a create's {@code initialAttributes} is a
 * {@code FileAttribute<?>[]}.
 *
 * <p>An open without data access (for attributes, delete, rename, links, a listing) checks nothing: the call
 * that follows on the handle does, so a missing file, a path below a file or a symbolic-link loop fails with
 * exactly the exception the base file system gives for that call. Filters see such a {@code CREATE} succeed
 * and the operation after it fail (with {@code STATUS_OBJECT_NAME_NOT_FOUND} for a missing file).
 */
public final class NioBackend implements VolumeBackend {
    /** Query: the size of an open file. */
    public static final String SIZE = "altitude:size";
    /** Query: the real path, as a volume path. */
    public static final String REAL_PATH = "altitude:realPath";
    /** Query: a symbolic link's target. */
    public static final String LINK_TARGET = "altitude:linkTarget";
    /** Query: {@code checkAccess}, followed by the modes' initials ({@code "altitude:access:RW"}). */
    public static final String ACCESS = "altitude:access:";

    /** A named attribute and its new value ({@code Files.setAttribute}). */
    public record Attribute(String name, Object value) {
    }

    /**
     * An open file: its base path and, for a data open, its channel and locks; on a confined backend, the pin
     * of its parent directory, closed with it.
     */
    static final class Handle {
        final Path path;
        final FileChannel channel;
        final boolean noFollow;
        final Beneath.Pin pin;
        final List<FileLock> locks = new ArrayList<>();
        private final LinkOption[] linkOptions;

        Handle(Path path, FileChannel channel, boolean noFollow, Beneath.Pin pin) {
            this.path = path;
            this.channel = channel;
            this.noFollow = noFollow;
            this.pin = pin;
            this.linkOptions = noFollow ? new LinkOption[] {LinkOption.NOFOLLOW_LINKS} : new LinkOption[0];
        }

        LinkOption[] linkOptions() {
            return linkOptions;
        }
    }

    private final Path root;
    private final Path realRoot;
    private final boolean verbatimLinks;
    private final Beneath beneath;

    public NioBackend(Path root) throws IOException {
        this(root, false);
    }

    /**
     * A backend for a daemon that runs as root on behalf of other users (the FUSE mount): links verbatim, and
     * every path resolved beneath {@code root} with no symbolic link followed anywhere on it ({@link Beneath}),
     * also one swapped in for a directory between the caller's lookup and the call. Opens and set-attribute
     * calls never follow the last component either: on a link they mean the link. The default file system
     * on Linux only.
     */
    public static NioBackend confined(Path root) throws IOException {
        return new NioBackend(root, true, true);
    }

    /**
     * With {@code verbatimLinks}, a symbolic link's target is stored and read back as it was given (a FUSE
     * mount shows the real directory's links as they are); without, an absolute target is a volume path and
     * is stored below the base (an NIO volume's links stay inside the volume).
     */
    public NioBackend(Path root, boolean verbatimLinks) throws IOException {
        this(root, verbatimLinks, false);
    }

    private NioBackend(Path root, boolean verbatimLinks, boolean confined) throws IOException {
        this.verbatimLinks = verbatimLinks;
        this.root = root.toAbsolutePath();
        this.realRoot = this.root.toRealPath();
        if (!Files.isDirectory(realRoot)) {
            throw new java.nio.file.NotDirectoryException(root.toString());
        }
        this.beneath = confined ? Beneath.open(realRoot) : null;
    }

    /** At dismount: a confined backend lets go of its pinned source directory. */
    @Override
    public void close() {
        if (beneath != null) {
            beneath.close();
        }
    }

    /** The base directory. */
    public Path root() {
        return root;
    }

    @Override
    public String fileSystemType() {
        String provider = root.getFileSystem().provider().getScheme();
        return "nio:" + provider;
    }

    /**
     * Pins a volume path's parent on a confined backend (null on another): the pin's path is what the calls
     * use, and it is closed when they are done.
     */
    private Beneath.Pin pin(String volumePath) throws IOException {
        return beneath == null ? null : beneath.pin(volumePath);
    }

    /** The base path of a volume path ({@code /a/b} → {@code <root>/a/b}). */
    Path resolve(String volumePath) {
        Path p = root;
        for (String part : volumePath.split("/")) {
            if (!part.isEmpty()) {
                p = p.resolve(part);
            }
        }
        return p;
    }

    /** The volume path of a base path named in an exception; a path elsewhere (or null) as it is. */
    String volumePathOf(String baseFile) {
        if (baseFile == null) {
            return null;
        }
        for (String r : new String[] {root.toString(), realRoot.toString()}) {
            if (baseFile.equals(r)) {
                return "/";
            }
            if (baseFile.startsWith(r) && baseFile.startsWith(root.getFileSystem().getSeparator(), r.length())) {
                return baseFile.substring(r.length());
            }
        }
        return baseFile;
    }

    /** The volume path of a base path under the root. */
    String volumePath(Path base) {
        Path rel = realRoot.relativize(base);
        StringBuilder b = new StringBuilder();
        for (Path part : rel) {
            b.append('/').append(part);
        }
        return b.isEmpty() ? "/" : b.toString();
    }

    @Override
    public void perform(CallbackData data) {
        FileObject fo = data.fileObject();
        try {
            switch (data.parameters()) {
                case IoParameters.Create c -> create(data, fo, c);
                case IoParameters.Read r -> {
                    int n = handle(fo).channel.read(r.buffer(), r.offset());
                    if (n < 0) {
                        data.complete(NtStatus.END_OF_FILE, 0);
                    } else {
                        data.complete(NtStatus.SUCCESS, n);
                    }
                }
                case IoParameters.Write w -> {
                    FileChannel ch = handle(fo).channel;
                    int n = w.offset() == IoParameters.Write.APPEND ? ch.write(w.buffer()) : ch.write(w.buffer(), w.offset());
                    data.complete(NtStatus.SUCCESS, n);
                }
                case IoParameters.QueryInformation q -> {
                    data.setResult(query(handle(fo), q.query()));
                    data.complete(NtStatus.SUCCESS, 0);
                }
                case IoParameters.SetInformation s -> setInformation(data, handle(fo), s);
                case IoParameters.QuerySecurity q -> {
                    data.setResult(Files.readAttributes(handle(fo).path, "posix:owner,group,permissions", handle(fo).linkOptions()));
                    data.complete(NtStatus.SUCCESS, 0);
                }
                case IoParameters.SetSecurity s -> {
                    setAttribute(handle(fo), (Attribute) s.security());
                    data.complete(NtStatus.SUCCESS, 0);
                }
                case IoParameters.DirectoryControl d -> list(data, handle(fo), d.pattern());
                case IoParameters.FlushBuffers f -> {
                    Handle h = handle(fo);
                    if (h.channel != null) {
                        h.channel.force(!f.dataOnly());
                    }
                    data.complete(NtStatus.SUCCESS, 0);
                }
                case IoParameters.QueryVolumeInformation q -> {
                    data.setResult(Files.getFileStore(root));
                    data.complete(NtStatus.SUCCESS, 0);
                }
                case IoParameters.LockControl l -> lock(data, handle(fo), l);
                case IoParameters.QueryEa q -> queryEa(data, handle(fo), q.name());
                case IoParameters.SetEa e -> setEa(data, handle(fo), e);
                case IoParameters.Cleanup c -> data.complete(NtStatus.SUCCESS, 0);
                case IoParameters.Close c -> {
                    if (fo.backendHandle() instanceof Handle h) {
                        try (Beneath.Pin pin = h.pin) {
                            if (h.channel != null) {
                                h.channel.close();
                            }
                        }
                    }
                    data.complete(NtStatus.SUCCESS, 0);
                }
                case IoParameters.Shutdown s -> data.complete(NtStatus.SUCCESS, 0);
                default -> data.complete(NtStatus.INVALID_DEVICE_REQUEST, 0);
            }
        } catch (IOException | RuntimeException e) {
            data.complete(NioErrors.toStatus(e), 0);
            data.setResult(e);
        }
    }

    private static Handle handle(FileObject fo) {
        if (!(fo.backendHandle() instanceof Handle h)) {
            throw new IllegalArgumentException("file object " + fo + " is not open on this volume");
        }
        return h;
    }

    private void create(CallbackData data, FileObject fo, IoParameters.Create c) throws IOException {
        Beneath.Pin pin = pin(fo.path());
        try {
            create(data, fo, c, pin);
        } catch (IOException | RuntimeException e) {
            if (pin != null) {
                pin.close();
            }
            throw e;
        }
    }

    private void create(CallbackData data, FileObject fo, IoParameters.Create c, Beneath.Pin pin) throws IOException {
        Path p = pin != null ? pin.path() : resolve(fo.path());
        boolean noFollow = pin != null || c.options().contains(IoParameters.CreateOption.OPEN_REPARSE_POINT);
        FileAttribute<?>[] attrs = c.initialAttributes() instanceof FileAttribute<?>[] a ? a : new FileAttribute<?>[0];
        FileChannel channel = null;
        switch (c.kind()) {
            case DIRECTORY -> {
                if (c.disposition() == IoParameters.CreateDisposition.CREATE) {
                    Files.createDirectory(p, attrs);
                } // else opened for listing: DIRECTORY_CONTROL reports a missing directory or a file
            }
            case SYMBOLIC_LINK -> Files.createSymbolicLink(p, linkTarget(c.linkTarget()), attrs);
            case HARD_LINK -> {
                try (Beneath.Pin existing = pin(c.linkTarget())) {
                    Files.createLink(p, existing != null ? existing.path() : resolve(c.linkTarget())); // link(2) follows no link
                }
            }
            case FILE -> {
                Set<IoParameters.Access> a = c.access();
                boolean data_ = a.contains(IoParameters.Access.READ_DATA) || a.contains(IoParameters.Access.WRITE_DATA)
                        || a.contains(IoParameters.Access.APPEND_DATA);
                if (data_ || c.disposition() != IoParameters.CreateDisposition.OPEN) {
                    channel = p.getFileSystem().provider().newFileChannel(p, openOptions(c, noFollow), attrs);
                }
            }
        }
        fo.setBackendHandle(new Handle(p, channel, noFollow, pin));
        data.complete(NtStatus.SUCCESS, 0);
    }

    private Path linkTarget(String target) {
        return target.startsWith("/") && !verbatimLinks ? resolve(target) : root.getFileSystem().getPath(target);
    }

    private static Set<OpenOption> openOptions(IoParameters.Create c, boolean noFollow) {
        Set<OpenOption> o = new HashSet<>();
        Set<IoParameters.Access> a = c.access();
        if (a.contains(IoParameters.Access.READ_DATA)) {
            o.add(StandardOpenOption.READ);
        }
        if (a.contains(IoParameters.Access.APPEND_DATA) && !a.contains(IoParameters.Access.WRITE_DATA)) {
            o.add(StandardOpenOption.APPEND);
        } else if (a.contains(IoParameters.Access.WRITE_DATA)) {
            o.add(StandardOpenOption.WRITE);
        }
        switch (c.disposition()) {
            case CREATE -> o.add(StandardOpenOption.CREATE_NEW);
            case OPEN_IF -> o.add(StandardOpenOption.CREATE);
            case OVERWRITE -> o.add(StandardOpenOption.TRUNCATE_EXISTING);
            case OVERWRITE_IF, SUPERSEDE -> {
                o.add(StandardOpenOption.CREATE);
                o.add(StandardOpenOption.TRUNCATE_EXISTING);
            }
            case OPEN -> { }
        }
        Set<IoParameters.CreateOption> opts = c.options();
        if (opts.contains(IoParameters.CreateOption.DELETE_ON_CLOSE)) {
            o.add(StandardOpenOption.DELETE_ON_CLOSE);
        }
        if (opts.contains(IoParameters.CreateOption.WRITE_THROUGH)) {
            o.add(StandardOpenOption.SYNC);
        }
        if (opts.contains(IoParameters.CreateOption.SYNC_DATA_ONLY)) {
            o.add(StandardOpenOption.DSYNC);
        }
        if (opts.contains(IoParameters.CreateOption.SEQUENTIAL_ONLY)) {
            o.add(StandardOpenOption.SPARSE);
        }
        if (noFollow) {
            o.add(LinkOption.NOFOLLOW_LINKS);
        }
        return o;
    }

    private Object query(Handle h, Object query) throws IOException {
        return switch (query) {
            case null -> h.channel != null ? h.channel.size() : Files.size(h.path);
            case String s when s.equals(SIZE) -> h.channel != null ? h.channel.size() : Files.size(h.path);
            case String s when s.equals(REAL_PATH) -> {
                Path real = h.path.toRealPath(h.linkOptions());
                if (!real.startsWith(realRoot)) {
                    throw new java.nio.file.AccessDeniedException(h.path.toString(), null, "outside the volume");
                }
                yield volumePath(real);
            }
            case String s when s.equals(LINK_TARGET) -> Files.readSymbolicLink(h.path).toString();
            case String s when s.startsWith(ACCESS) -> {
                List<java.nio.file.AccessMode> modes = new ArrayList<>();
                for (char c : s.substring(ACCESS.length()).toCharArray()) {
                    modes.add(c == 'R' ? java.nio.file.AccessMode.READ : c == 'W' ? java.nio.file.AccessMode.WRITE
                            : java.nio.file.AccessMode.EXECUTE);
                }
                h.path.getFileSystem().provider().checkAccess(h.path, modes.toArray(java.nio.file.AccessMode[]::new));
                yield Boolean.TRUE;
            }
            case String s -> Files.readAttributes(h.path, s, h.linkOptions());
            case Class<?> type -> Files.readAttributes(h.path, type.asSubclass(java.nio.file.attribute.BasicFileAttributes.class),
                    h.linkOptions());
            default -> throw new IllegalArgumentException("unknown query " + query);
        };
    }

    private void setInformation(CallbackData data, Handle h, IoParameters.SetInformation s) throws IOException {
        switch (s.informationClass()) {
            case FileEndOfFileInformation, FileAllocationInformation -> {
                long size = (Long) s.information();
                if (size < h.channel.size()) {
                    h.channel.truncate(size);
                } else if (size > h.channel.size()) {
                    h.channel.write(java.nio.ByteBuffer.allocate(1), size - 1); // extends with zeros, as ftruncate does
                }
            }
            case FileDispositionInformation, FileDispositionInformationEx -> {
                if (Boolean.TRUE.equals(s.information())) {
                    Files.delete(h.path);
                }
            }
            case FileRenameInformation, FileRenameInformationEx -> {
                List<java.nio.file.CopyOption> o = new ArrayList<>();
                if (s.replaceIfExists()) {
                    o.add(StandardCopyOption.REPLACE_EXISTING);
                }
                if (s.informationClass() == dev.altitude.core.FileInformationClass.FileRenameInformationEx) {
                    o.add(StandardCopyOption.ATOMIC_MOVE);
                }
                if (h.noFollow) {
                    o.add(LinkOption.NOFOLLOW_LINKS);
                }
                String target = (String) s.information();
                try (Beneath.Pin to = pin(target)) {
                    Files.move(h.path, to != null ? to.path() : resolve(target), o.toArray(java.nio.file.CopyOption[]::new));
                }
            }
            case FileBasicInformation -> setAttribute(h, (Attribute) s.information());
            default -> throw new UnsupportedOperationException(s.informationClass() + " is not supported");
        }
        data.complete(NtStatus.SUCCESS, 0);
    }

    /**
     * {@code Files.setAttribute}, except on a confined backend, where the mode, the owner and the times are set
     * relative to the pinned parent without following a link (the JDK's chmod opens the file, following it).
     */
    private static void setAttribute(Handle h, Attribute a) throws IOException {
        if (h.pin == null) {
            Files.setAttribute(h.path, a.name(), a.value(), h.linkOptions());
            return;
        }
        switch (a.name()) {
            case "posix:permissions" -> {
                @SuppressWarnings("unchecked")
                Set<java.nio.file.attribute.PosixFilePermission> perms = (Set<java.nio.file.attribute.PosixFilePermission>) a.value();
                h.pin.chmod(mode(perms));
            }
            case "unix:mode" -> h.pin.chmod((Integer) a.value() & 07777);
            case "unix:uid" -> h.pin.chown((Integer) a.value(), -1);
            case "unix:gid" -> h.pin.chown(-1, (Integer) a.value());
            case "basic:lastAccessTime" -> h.pin.setTimes((java.nio.file.attribute.FileTime) a.value(), null);
            case "basic:lastModifiedTime" -> h.pin.setTimes(null, (java.nio.file.attribute.FileTime) a.value());
            default -> throw new UnsupportedOperationException("attribute " + a.name() + " on a confined volume");
        }
    }

    private static int mode(Set<java.nio.file.attribute.PosixFilePermission> perms) {
        int mode = 0;
        for (var p : perms) {
            mode |= 1 << (8 - p.ordinal()); // OWNER_READ … OTHERS_EXECUTE, high bit first
        }
        return mode;
    }

    private void list(CallbackData data, Handle h, String pattern) throws IOException {
        PathMatcher m = pattern == null ? null : h.path.getFileSystem().getPathMatcher("glob:" + pattern);
        List<IoParameters.DirectoryEntry> entries = new ArrayList<>();
        // on a confined backend, opened relative to the pinned parent, not following a link put in its place
        try (var parent = h.pin == null ? null
                     : (java.nio.file.SecureDirectoryStream<Path>) Files.newDirectoryStream(h.pin.directory());
             DirectoryStream<Path> ds = parent == null ? Files.newDirectoryStream(h.path)
                     : parent.newDirectoryStream(h.pin.directory().getFileSystem().getPath(h.pin.name), LinkOption.NOFOLLOW_LINKS)) {
            for (Path child : ds) {
                Path name = child.getFileName();
                if (m == null || m.matches(name)) {
                    AttributeRead read = ds instanceof java.nio.file.SecureDirectoryStream<Path> s && parent != null
                            ? () -> s.getFileAttributeView(name, java.nio.file.attribute.BasicFileAttributeView.class,
                                    LinkOption.NOFOLLOW_LINKS).readAttributes()
                            : () -> Files.readAttributes(child, java.nio.file.attribute.BasicFileAttributes.class,
                                    LinkOption.NOFOLLOW_LINKS);
                    entries.add(new IoParameters.DirectoryEntry(name.toString(), kind(read), -1));
                }
            }
        }
        data.setResult(new IoParameters.DirectoryListing(entries));
        data.complete(NtStatus.SUCCESS, entries.size());
    }

    /** What an attribute read says of a listed entry; one gone since the listing counts as a file. */
    private static IoParameters.FileKind kind(AttributeRead read) {
        java.nio.file.attribute.BasicFileAttributes a;
        try {
            a = read.read();
        } catch (IOException gone) {
            return IoParameters.FileKind.FILE;
        }
        return a.isSymbolicLink() ? IoParameters.FileKind.SYMBOLIC_LINK
                : a.isDirectory() ? IoParameters.FileKind.DIRECTORY : IoParameters.FileKind.FILE;
    }

    private interface AttributeRead {
        java.nio.file.attribute.BasicFileAttributes read() throws IOException;
    }

    private void lock(CallbackData data, Handle h, IoParameters.LockControl l) throws IOException {
        if (l.lock()) {
            FileLock lock = l.failImmediately() ? h.channel.tryLock(l.offset(), l.length(), l.shared())
                    : h.channel.lock(l.offset(), l.length(), l.shared());
            if (lock == null) {
                data.complete(NtStatus.LOCK_NOT_GRANTED, 0);
                return;
            }
            synchronized (h.locks) {
                h.locks.add(lock);
            }
        } else {
            synchronized (h.locks) {
                for (var it = h.locks.iterator(); it.hasNext(); ) {
                    FileLock lock = it.next();
                    if (lock.position() == l.offset() && lock.size() == l.length()) {
                        lock.release();
                        it.remove();
                        break;
                    }
                }
            }
        }
        data.complete(NtStatus.SUCCESS, 0);
    }

    /**
     * Extended attributes are the base's user-defined attributes ({@code user.*} on Linux, named without the
     * prefix in NIO). A query of one name gives its bytes; of every name (null), the names.
     */
    private void queryEa(CallbackData data, Handle h, String name) throws IOException {
        if (h.pin != null) {
            if (name == null) {
                data.setResult(h.pin.listXattr().stream().filter(n -> n.startsWith(XATTR_USER))
                        .map(n -> n.substring(XATTR_USER.length())).toList());
            } else {
                byte[] v = h.pin.getXattr(XATTR_USER + name);
                if (v == null) {
                    data.complete(NtStatus.NO_EAS_ON_FILE, 0);
                    return;
                }
                data.setResult(v);
            }
            data.complete(NtStatus.SUCCESS, 0);
            return;
        }
        var view = Files.getFileAttributeView(h.path, java.nio.file.attribute.UserDefinedFileAttributeView.class, h.linkOptions());
        if (view == null) {
            data.complete(NtStatus.EAS_NOT_SUPPORTED, 0);
            return;
        }
        if (name == null) {
            data.setResult(view.list());
        } else {
            if (!view.list().contains(name)) {
                data.complete(NtStatus.NO_EAS_ON_FILE, 0);
                return;
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(view.size(name));
            view.read(name, b);
            data.setResult(java.util.Arrays.copyOf(b.array(), b.position()));
        }
        data.complete(NtStatus.SUCCESS, 0);
    }

    private void setEa(CallbackData data, Handle h, IoParameters.SetEa e) throws IOException {
        if (h.pin != null) {
            h.pin.setXattr(XATTR_USER + e.name(), e.value()); // a missing one to remove: ENODATA, NO_EAS_ON_FILE
            data.complete(NtStatus.SUCCESS, 0);
            return;
        }
        var view = Files.getFileAttributeView(h.path, java.nio.file.attribute.UserDefinedFileAttributeView.class, h.linkOptions());
        if (view == null) {
            data.complete(NtStatus.EAS_NOT_SUPPORTED, 0);
            return;
        }
        if (e.value() == null) {
            if (!view.list().contains(e.name())) {
                data.complete(NtStatus.NO_EAS_ON_FILE, 0);
                return;
            }
            view.delete(e.name());
        } else {
            view.write(e.name(), java.nio.ByteBuffer.wrap(e.value()));
        }
        data.complete(NtStatus.SUCCESS, 0);
    }

    private static final String XATTR_USER = "user.";

    /** The base channel of an open file, for what cannot be filtered ({@code map}). */
    static FileChannel channelOf(FileObject fo) {
        return handle(fo).channel;
    }
}
