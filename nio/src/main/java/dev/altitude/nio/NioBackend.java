package dev.altitude.nio;

import dev.altitude.core.CallbackData;
import dev.altitude.core.FileInformationClass;
import dev.altitude.core.FileMode;
import dev.altitude.core.FileObject;
import dev.altitude.core.IoParameters;
import dev.altitude.core.IoParameters.FileInformation;
import dev.altitude.core.IoParameters.FileKind;
import dev.altitude.core.IoResult;
import dev.altitude.core.NtStatus;
import dev.altitude.core.Principal;
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
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A volume's file system: a directory of any {@code java.nio} file system (the default disk, jimfs, a zip
 * file system). Volume paths ({@code /a/b}) resolve below the base; an open file's backend handle is a
 * {@link Handle} holding the base path and, for data opens, the base {@link FileChannel}.
 *
 * <p>Attributes come from the base's {@code unix} view where it has one (one {@code stat}, the owner's and
 * group's names looked up only for {@code FileAllInformation}), else from its {@code posix} or {@code basic}
 * view; a failed operation keeps the base's exception as an {@link IoResult.BackendFailure}.
 *
 * <p>An open without data access (for attributes, delete, rename, links, a listing) checks nothing: the call
 * that follows on the handle does, so a missing file, a path below a file or a symbolic-link loop fails with
 * exactly the exception the base file system gives for that call. Filters see such a {@code CREATE} succeed
 * and the operation after it fail (with {@code STATUS_OBJECT_NAME_NOT_FOUND} for a missing file).
 */
public final class NioBackend implements VolumeBackend {
    /** What the base's {@code unix} view gives in one {@code stat}, without looking names up. */
    private static final String UNIX_STAT = "unix:size,lastModifiedTime,lastAccessTime,creationTime,isRegularFile,"
            + "isDirectory,isSymbolicLink,isOther,mode,ino,dev,rdev,nlink,uid,gid,ctime";
    private static final String UNIX_NAMED = UNIX_STAT + ",owner,group";

    /** An open file: its base path and, for a data open, its channel and locks. */
    static final class Handle {
        final Path path;
        final FileChannel channel;
        final boolean noFollow;
        final List<FileLock> locks = new ArrayList<>();
        /** A directory handle's change notification, once armed. */
        volatile BaseWatches.Watch watch;
        private final LinkOption[] linkOptions;

        Handle(Path path, FileChannel channel, boolean noFollow) {
            this.path = path;
            this.channel = channel;
            this.noFollow = noFollow;
            this.linkOptions = noFollow ? new LinkOption[] {LinkOption.NOFOLLOW_LINKS} : new LinkOption[0];
        }

        LinkOption[] linkOptions() {
            return linkOptions;
        }
    }

    private final Path root;
    private final Path realRoot;
    private final boolean verbatimLinks;
    private final boolean unixView;
    private final boolean posixView;
    private final BaseWatches watches;
    /** The base is the JDK's own file system of this host (whose paths java.io names too). */
    private final boolean defaultBase;
    private final boolean slashSeparated;

    public NioBackend(Path root) throws IOException {
        this(root, false);
    }

    /**
     * With {@code verbatimLinks}, a symbolic link's target is stored and read back as it was given (a FUSE
     * mount shows the real directory's links as they are); without, an absolute target is a volume path and
     * is stored below the base (an NIO volume's links stay inside the volume).
     */
    public NioBackend(Path root, boolean verbatimLinks) throws IOException {
        this.verbatimLinks = verbatimLinks;
        this.root = root.toAbsolutePath();
        this.realRoot = this.root.toRealPath();
        if (!Files.isDirectory(realRoot)) {
            throw new java.nio.file.NotDirectoryException(root.toString());
        }
        Set<String> views = this.root.getFileSystem().supportedFileAttributeViews();
        this.unixView = views.contains("unix");
        this.posixView = views.contains("posix");
        this.watches = new BaseWatches(this.root.getFileSystem());
        this.slashSeparated = this.root.getFileSystem().getSeparator().equals("/");
        this.defaultBase = this.root.getFileSystem().provider().getScheme().equals("file")
                && this.root.getFileSystem().provider().getClass().getName().startsWith("sun.nio.fs.");
    }

    /** Whether owners and groups are set by number here (the JDK's own {@code unix:uid}), without their names. */
    boolean ownersById() {
        return defaultBase && unixView;
    }

    /** The volume is dismounted: its watches end. */
    @Override
    public void close() {
        watches.close();
    }

    /** The base directory. */
    public Path root() {
        return root;
    }

    /** The block size of the file store holding the base directory (4 KiB where the base does not say). */
    @Override
    public dev.altitude.core.VolumeProperties properties() {
        try {
            return dev.altitude.core.VolumeProperties.of(Files.getFileStore(root));
        } catch (IOException e) {
            return dev.altitude.core.VolumeProperties.DEFAULT;
        }
    }

    /**
     * The base file, opened beneath the base directory following no link, on the default file system; elsewhere
     * {@link NtStatus#NOT_SUPPORTED} (a provider of its own has no descriptors).
     */
    @Override
    public dev.altitude.core.LentFile lendFile(FileObject file) {
        if (!defaultBase) {
            return VolumeBackend.super.lendFile(file);
        }
        return dev.altitude.core.LentFile.open(realRoot, file.path());
    }

    @Override
    public String fileSystemType() {
        String provider = root.getFileSystem().provider().getScheme();
        return "nio:" + provider;
    }

    /** The base path of a volume path ({@code /a/b} → {@code <root>/a/b}). */
    Path resolve(String volumePath) {
        if (slashSeparated && volumePath.startsWith("/")) {
            return root.resolve(volumePath.substring(1)); // the base parses the names itself, as it would them split
        }
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
                    data.setResult(query(handle(fo), q.informationClass()));
                    data.complete(NtStatus.SUCCESS, 0);
                }
                case IoParameters.QueryOpen q -> { // the handle a meta open would make, made and dropped here
                    data.setResult(query(new Handle(resolve(fo.path()), null, q.openReparsePoint()), q.informationClass()));
                    data.complete(NtStatus.SUCCESS, 0);
                }
                case IoParameters.SetInformation s -> setInformation(data, handle(fo), s);
                case IoParameters.QuerySecurity q -> {
                    IoResult.FileAttributes a = attributes(handle(fo), true);
                    if (!a.hasPosix()) {
                        data.complete(NtStatus.NOT_SUPPORTED, 0);
                        return;
                    }
                    data.setResult(new IoResult.Security(a.mode(), a.owner(), a.group()));
                    data.complete(NtStatus.SUCCESS, 0);
                }
                case IoParameters.SetSecurity s -> {
                    setSecurity(handle(fo), s);
                    data.complete(NtStatus.SUCCESS, 0);
                }
                case IoParameters.DirectoryControl d -> list(data, handle(fo), d.pattern(), d.withAttributes());
                case IoParameters.NotifyChangeDirectory n -> notifyChange(data, handle(fo), n);
                case IoParameters.FlushBuffers f -> {
                    Handle h = handle(fo);
                    if (h.channel != null) {
                        h.channel.force(!f.dataOnly());
                    }
                    data.complete(NtStatus.SUCCESS, 0);
                }
                case IoParameters.QueryVolumeInformation q -> {
                    // the store of the file asked about (FileFsSizeInformation is of the volume the handle is on)
                    java.nio.file.FileStore store = Files.getFileStore(fo.backendHandle() instanceof Handle h ? h.path : root);
                    long block;
                    try {
                        block = store.getBlockSize();
                    } catch (UnsupportedOperationException e) {
                        block = 4096; // a store that does not say (jimfs): the usual page
                    }
                    data.setResult(new IoResult.VolumeInformation(store.name(), store.type(), store.getTotalSpace(),
                            store.getUnallocatedSpace(), store.getUsableSpace(), block, store.isReadOnly()));
                    data.complete(NtStatus.SUCCESS, 0);
                }
                case IoParameters.FileSystemControl f -> {
                    if (!(f.control() instanceof IoParameters.FsControl.GetReparsePoint)) {
                        data.complete(NtStatus.INVALID_DEVICE_REQUEST, 0); // java.nio knows no holes
                        return;
                    }
                    data.setResult(new IoResult.ReparsePoint(Files.readSymbolicLink(handle(fo).path).toString()));
                    data.complete(NtStatus.SUCCESS, 0);
                }
                case IoParameters.LockControl l -> lock(data, handle(fo), l);
                case IoParameters.QueryEa q -> queryEa(data, handle(fo), q);
                case IoParameters.SetEa e -> setEa(data, handle(fo), e);
                case IoParameters.Cleanup c -> {
                    if (fo.backendHandle() instanceof Handle h && h.watch != null) {
                        h.watch.cancel(); // as a cleanup completes the handle's notification on Windows
                    }
                    data.complete(NtStatus.SUCCESS, 0);
                }
                case IoParameters.Close c -> {
                    if (fo.backendHandle() instanceof Handle h && h.channel != null) {
                        h.channel.close();
                    }
                    data.complete(NtStatus.SUCCESS, 0);
                }
                case IoParameters.Shutdown s -> data.complete(NtStatus.SUCCESS, 0);
                case IoParameters.AcquireForSectionSynchronization a -> data.complete(NtStatus.SUCCESS, 0);
            }
        } catch (IOException | RuntimeException e) {
            data.complete(NioErrors.toStatus(e), 0);
            data.setResult(new IoResult.BackendFailure(e));
        }
    }

    /**
     * The first notification on a directory handle arms its watch (the base's watch service) and completes with no
     * changes; each later one completes with the changes gathered since, {@code STATUS_NOTIFY_ENUM_DIR} when the
     * base lost some, {@code STATUS_NOTIFY_CLEANUP} once the watch ended.
     */
    private void notifyChange(CallbackData data, Handle h, IoParameters.NotifyChangeDirectory n) throws IOException {
        BaseWatches.Watch w = h.watch;
        if (w == null) {
            if (!Files.readAttributes(h.path, BasicFileAttributes.class, h.linkOptions()).isDirectory()) {
                throw new java.nio.file.NotDirectoryException(h.path.toString());
            }
            h.watch = watches.watch(h.path, n.actions());
            data.setResult(new IoResult.DirectoryChanges(List.of()));
            data.complete(NtStatus.SUCCESS, 0);
            return;
        }
        BaseWatches.Watch.Batch b = w.take();
        data.setResult(new IoResult.DirectoryChanges(b.changes()));
        data.complete(b.ended() ? NtStatus.NOTIFY_CLEANUP : b.lost() ? NtStatus.NOTIFY_ENUM_DIR : NtStatus.SUCCESS, 0);
    }

    /** The watch of a directory handle whose notification is armed (the front end listens to it); null if none. */
    static BaseWatches.Watch watchOf(FileObject fo) {
        return fo.backendHandle() instanceof Handle h ? h.watch : null;
    }

    private static Handle handle(FileObject fo) {
        if (!(fo.backendHandle() instanceof Handle h)) {
            throw new IllegalArgumentException("file object " + fo + " is not open on this volume");
        }
        return h;
    }

    private void create(CallbackData data, FileObject fo, IoParameters.Create c) throws IOException {
        Path p = resolve(fo.path());
        boolean noFollow = c.options().contains(IoParameters.CreateOption.OPEN_REPARSE_POINT);
        FileAttribute<?>[] attrs = c.mode() != null && posixView
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(c.mode().permissions())}
                : new FileAttribute<?>[0];
        FileChannel channel = null;
        switch (c.kind()) {
            case DIRECTORY -> {
                if (c.disposition() == IoParameters.CreateDisposition.CREATE) {
                    Files.createDirectory(p, attrs);
                } // else opened for listing: DIRECTORY_CONTROL reports a missing directory or a file
            }
            case SYMBOLIC_LINK -> Files.createSymbolicLink(p, linkTarget(c.linkTarget()), attrs);
            case HARD_LINK -> Files.createLink(p, resolve(c.linkTarget())); // link(2) follows no link
            case FIFO, SOCKET, CHARACTER_DEVICE, BLOCK_DEVICE -> {
                data.complete(NtStatus.NOT_SUPPORTED, 0); // java.nio makes none of these
                return;
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
        fo.setBackendHandle(new Handle(p, channel, noFollow));
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

    private IoResult query(Handle h, FileInformationClass c) throws IOException {
        return switch (c) {
            case FileStandardInformation -> h.channel != null ? new IoResult.StandardInformation(h.channel.size(), false)
                    : standard(Files.readAttributes(h.path, BasicFileAttributes.class, h.linkOptions()));
            case FileNormalizedNameInformation -> {
                Path real = h.path.toRealPath(h.linkOptions());
                if (!real.startsWith(realRoot)) {
                    throw new java.nio.file.AccessDeniedException(h.path.toString(), null, "outside the volume");
                }
                yield new IoResult.NormalizedName(volumePath(real));
            }
            case FileAccessInformation -> access(h);
            case FileAllInformation -> attributes(h, true);
            case FileBasicInformation, FileNetworkOpenInformation, FilePosixInformation, FileAttributeTagInformation ->
                    attributes(h, false);
            case FileRenameInformation, FileLinkInformation, FileDispositionInformation, FilePositionInformation,
                 FileAllocationInformation, FileEndOfFileInformation, FileDispositionInformationEx,
                 FileRenameInformationEx -> throw new dev.altitude.core.NtStatusException(NtStatus.INVALID_PARAMETER,
                    c + " is not queried");
        };
    }

    private static IoResult.StandardInformation standard(BasicFileAttributes a) {
        return new IoResult.StandardInformation(a.size(), a.isDirectory());
    }

    /**
     * What the caller may do with the file; a missing file is an exception, not a no. On the JDK's own file system the
     * three checks are {@code access(2)} answers (as {@code java.io.File} asks them), not three exceptions to build.
     */
    private IoResult.AccessInformation access(Handle h) throws IOException {
        if (defaultBase) {
            java.io.File f = new java.io.File(h.path.toString());
            boolean r = f.canRead();
            boolean w = f.canWrite();
            boolean x = f.canExecute();
            if (!r && !w && !x) {
                h.path.getFileSystem().provider().checkAccess(h.path); // there at all?
            }
            return new IoResult.AccessInformation(r, w, x);
        }
        return new IoResult.AccessInformation(may(h, java.nio.file.AccessMode.READ),
                may(h, java.nio.file.AccessMode.WRITE), may(h, java.nio.file.AccessMode.EXECUTE));
    }

    private static boolean may(Handle h, java.nio.file.AccessMode mode) throws IOException {
        try {
            h.path.getFileSystem().provider().checkAccess(h.path, mode);
            return true;
        } catch (java.nio.file.AccessDeniedException e) {
            return false;
        }
    }

    /** The file's attributes, from the richest view the base has; {@code names}: look the owner and group up. */
    private IoResult.FileAttributes attributes(Handle h, boolean names) throws IOException {
        if (unixView) {
            Map<String, Object> m = Files.readAttributes(h.path, names ? UNIX_NAMED : UNIX_STAT, h.linkOptions());
            // numbers as Number: the JDK's unix view gives longs and ints, jimfs's gives ints where the JDK has longs
            int uid = ((Number) m.get("uid")).intValue();
            int gid = ((Number) m.get("gid")).intValue();
            return new IoResult.FileAttributes(kind(m), ((Number) m.get("size")).longValue(),
                    (FileTime) m.get("lastModifiedTime"), (FileTime) m.get("lastAccessTime"),
                    (FileTime) m.get("creationTime"), (FileTime) m.get("ctime"), FileMode.of(((Number) m.get("mode")).intValue()),
                    new Principal(uid, names ? ((UserPrincipal) m.get("owner")).getName() : null),
                    new Principal(gid, names ? ((GroupPrincipal) m.get("group")).getName() : null),
                    ((Number) m.get("ino")).longValue(), ((Number) m.get("dev")).longValue(),
                    ((Number) m.get("nlink")).intValue(), ((Number) m.get("rdev")).longValue());
        }
        if (posixView) {
            PosixFileAttributes a = Files.readAttributes(h.path, PosixFileAttributes.class, h.linkOptions());
            return new IoResult.FileAttributes(kind(a), a.size(), a.lastModifiedTime(), a.lastAccessTime(),
                    a.creationTime(), null, FileMode.of(a.permissions()), Principal.ofName(a.owner().getName()),
                    Principal.ofName(a.group().getName()), -1, -1, -1, -1);
        }
        BasicFileAttributes a = Files.readAttributes(h.path, BasicFileAttributes.class, h.linkOptions());
        return new IoResult.FileAttributes(kind(a), a.size(), a.lastModifiedTime(), a.lastAccessTime(),
                a.creationTime(), null, null, null, null, -1, -1, -1, -1);
    }

    /** The kind as the view's own tests say it (jimfs's {@code unix:mode} has no type bits), the mode telling the others apart. */
    private static FileKind kind(Map<String, Object> unix) {
        if (Boolean.TRUE.equals(unix.get("isSymbolicLink"))) {
            return FileKind.SYMBOLIC_LINK;
        }
        if (Boolean.TRUE.equals(unix.get("isDirectory"))) {
            return FileKind.DIRECTORY;
        }
        if (Boolean.TRUE.equals(unix.get("isRegularFile"))) {
            return FileKind.FILE;
        }
        FileKind k = FileKind.ofPosixMode((Integer) unix.get("mode"));
        return k.isOther() ? k : FileKind.FIFO;
    }

    private static FileKind kind(BasicFileAttributes a) {
        return a.isSymbolicLink() ? FileKind.SYMBOLIC_LINK : a.isDirectory() ? FileKind.DIRECTORY
                : a.isOther() ? FileKind.FIFO : FileKind.FILE;
    }

    private void setInformation(CallbackData data, Handle h, IoParameters.SetInformation s) throws IOException {
        switch (s.information()) {
            case FileInformation.EndOfFile eof -> {
                long size = eof.size();
                if (size < h.channel.size()) {
                    h.channel.truncate(size);
                } else if (size > h.channel.size()) {
                    h.channel.write(java.nio.ByteBuffer.allocate(1), size - 1); // extends with zeros, as ftruncate does
                }
            }
            case FileInformation.Disposition d -> {
                if (d.deleteFile()) {
                    Files.delete(h.path);
                }
            }
            case FileInformation.Rename r -> {
                if (r.kind() != IoParameters.RenameKind.MOVE) {
                    data.complete(NtStatus.NOT_SUPPORTED, 0); // java.nio has no exchange, no whiteout
                    return;
                }
                List<java.nio.file.CopyOption> o = new ArrayList<>();
                if (r.replaceIfExists()) {
                    o.add(StandardCopyOption.REPLACE_EXISTING);
                }
                if (s.informationClass() == FileInformationClass.FileRenameInformationEx) {
                    o.add(StandardCopyOption.ATOMIC_MOVE);
                }
                if (h.noFollow) {
                    o.add(LinkOption.NOFOLLOW_LINKS);
                }
                Files.move(h.path, resolve(r.target()), o.toArray(java.nio.file.CopyOption[]::new));
            }
            case FileInformation.Basic b -> setTimes(h, b);
            case FileInformation.Allocation al -> {
                data.complete(NtStatus.NOT_SUPPORTED, 0); // java.nio allocates no ranges
                return;
            }
        }
        data.complete(NtStatus.SUCCESS, 0);
    }

    /** The times, as {@code BasicFileAttributeView.setTimes}; a change time is the file system's own to keep. */
    private static void setTimes(Handle h, FileInformation.Basic b) throws IOException {
        Files.getFileAttributeView(h.path, BasicFileAttributeView.class, h.linkOptions())
                .setTimes(b.lastWriteTime(), b.lastAccessTime(), b.creationTime());
    }

    /** Mode, owner and group: by id through the base's {@code unix} view (by name through its lookup service). */
    private void setSecurity(Handle h, IoParameters.SetSecurity s) throws IOException {
        // owner and group first: a chown clears set-user-ID and set-group-ID, so the mode asked for comes after it
        UserPrincipalLookupService users = h.path.getFileSystem().getUserPrincipalLookupService();
        // a base whose unix view is read-only (jimfs's) is set through its posix and owner views instead
        if (s.owner() != null && !(s.owner().hasId() && unixView && setUnix(h, "unix:uid", s.owner().id()))) {
            Files.setAttribute(h.path, "owner:owner", users.lookupPrincipalByName(name(s.owner())), h.linkOptions());
        }
        if (s.group() != null && !(s.group().hasId() && unixView && setUnix(h, "unix:gid", s.group().id()))) {
            Files.setAttribute(h.path, "posix:group", users.lookupPrincipalByGroupName(name(s.group())), h.linkOptions());
        }
        if (s.mode() != null && !(unixView && (s.mode().bits() & 07000) != 0 && setUnix(h, "unix:mode", s.mode().bits()))) {
            Files.setAttribute(h.path, "posix:permissions", s.mode().permissions(), h.linkOptions());
        }
    }

    /** Sets a {@code unix} attribute; false if the base's unix view does not take it. */
    private static boolean setUnix(Handle h, String attribute, int value) throws IOException {
        try {
            Files.setAttribute(h.path, attribute, value, h.linkOptions());
            return true;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static String name(Principal p) {
        return p.name() != null ? p.name() : Integer.toString(p.id());
    }

    /**
     * A listing: names alone (java.nio gives no entry's kind without a look at it, which the JDK's own stream does not
     * take either), or each with its attributes when asked ({@code withAttributes}).
     */
    private void list(CallbackData data, Handle h, String pattern, boolean withAttributes) throws IOException {
        PathMatcher m = pattern == null ? null : h.path.getFileSystem().getPathMatcher("glob:" + pattern);
        List<IoResult.DirectoryEntry> entries = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(h.path)) {
            for (Path child : ds) {
                Path name = child.getFileName();
                if (m == null || m.matches(name)) {
                    IoResult.FileAttributes a = null;
                    if (withAttributes) {
                        try {
                            a = attributes(new Handle(child, null, true), false);
                        } catch (IOException gone) {
                            // gone between the listing and the look: listed without its attributes
                        }
                    }
                    entries.add(a == null ? new IoResult.DirectoryEntry(name.toString(), null, -1)
                            : new IoResult.DirectoryEntry(name.toString(), a.kind(), a.size(), a));
                }
            }
        }
        data.setResult(new IoResult.DirectoryListing(entries));
        data.complete(NtStatus.SUCCESS, entries.size());
    }

    /** What a listed entry is, not following a link; one gone since the listing counts as a file. */
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
     * prefix in NIO): the other namespaces are out of NIO's reach. A query of one name gives its bytes; of every
     * name (null), the names.
     */
    private void queryEa(CallbackData data, Handle h, IoParameters.QueryEa q) throws IOException {
        var view = Files.getFileAttributeView(h.path, java.nio.file.attribute.UserDefinedFileAttributeView.class, h.linkOptions());
        if (view == null || q.namespace() != null && q.namespace() != IoParameters.EaNamespace.USER) {
            data.complete(NtStatus.EAS_NOT_SUPPORTED, 0);
            return;
        }
        String name = q.name();
        if (q.namespace() == null) {
            data.setResult(new IoResult.EaNames(view.list().stream().map(n -> XATTR_USER + n).toList()));
        } else if (name == null) {
            data.setResult(new IoResult.EaNames(view.list()));
        } else {
            if (!view.list().contains(name)) {
                data.complete(NtStatus.NO_EAS_ON_FILE, 0);
                return;
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(view.size(name));
            view.read(name, b);
            data.setResult(new IoResult.EaValue(java.util.Arrays.copyOf(b.array(), b.position())));
        }
        data.complete(NtStatus.SUCCESS, 0);
    }

    private void setEa(CallbackData data, Handle h, IoParameters.SetEa e) throws IOException {
        var view = Files.getFileAttributeView(h.path, java.nio.file.attribute.UserDefinedFileAttributeView.class, h.linkOptions());
        if (view == null || e.namespace() != IoParameters.EaNamespace.USER) {
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

    /**
     * Where this JVM's locks of an open file are kept: its base file system and the base file's key ({@code fileKey},
     * else its real path). The file system is part of it: two jimfs instances give their files the same small keys.
     */
    static Object fileKeyOf(FileObject fo) throws IOException {
        Handle h = handle(fo);
        Object key = Files.readAttributes(h.path, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        return List.of(h.path.getFileSystem(), key != null ? key : h.path.toRealPath().toString());
    }

    /** The base channel of an open file, for what cannot be filtered ({@code map}). */
    static FileChannel channelOf(FileObject fo) {
        return handle(fo).channel;
    }
}
