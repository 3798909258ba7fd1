package dev.altitude.nio;

import dev.altitude.core.CallbackData;
import dev.altitude.core.FileInformationClass;
import dev.altitude.core.FileMode;
import dev.altitude.core.FileObject;
import dev.altitude.core.FilterManager;
import dev.altitude.core.IoParameters;
import dev.altitude.core.IoParameters.Access;
import dev.altitude.core.IoParameters.CreateDisposition;
import dev.altitude.core.IoParameters.CreateOption;
import dev.altitude.core.IoParameters.FileInformation;
import dev.altitude.core.IoParameters.FileKind;
import dev.altitude.core.IoResult;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.Volume;
import java.io.IOException;
import java.nio.file.AccessMode;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A filtered volume as a {@link FileSystem}: every operation becomes one or more {@link CallbackData}
 * sent down the volume's instance stack to its {@link NioBackend}. Closing it dismounts the volume.
 */
public final class AltitudeFileSystem extends FileSystem {
    private final AltitudeFileSystemProvider provider;
    private final NioBackend backend;
    private final Set<String> views;
    private final FileSystem syntax;
    private final Path syntaxRoot;
    /** The default file system of the JVM (default-provider mode): relative paths resolve against user.dir. */
    private final boolean isDefault;
    /** Set once the volume is mounted; in default-provider mode that happens on the first operation. */
    private volatile Volume volume;
    private volatile boolean open = true;

    AltitudeFileSystem(AltitudeFileSystemProvider provider, NioBackend backend, FileSystem syntax, boolean isDefault) {
        this.provider = provider;
        this.backend = backend;
        this.views = Attributes.views(backend.root().getFileSystem().supportedFileAttributeViews());
        this.syntax = syntax;
        this.syntaxRoot = syntax.getPath("/");
        this.isDefault = isDefault;
    }

    void bind(Volume v) {
        this.volume = v;
    }

    Volume boundVolume() {
        return volume;
    }

    NioBackend backend() {
        return backend;
    }

    FileSystem syntax() {
        return syntax;
    }

    /** The volume behind it: attach and detach filters to it through its manager. */
    public Volume volume() {
        Volume v = volume;
        return v != null ? v : provider.startDefault();
    }

    public FilterManager manager() {
        return volume().manager();
    }

    /**
     * Runs one operation through the volume. Only while the default provider is starting (its filter manager
     * doing file I/O of its own on the starting thread) does an operation go straight to the backend.
     */
    NtStatus send(CallbackData d) {
        Volume v = volume;
        if (v == null && (v = provider.startDefault()) == null) {
            backend.perform(d);
            return d.status();
        }
        return v.perform(d);
    }

    boolean isDefault() {
        return isDefault;
    }

    /** A syntax path made absolute: against the volume's root, or against user.dir for the default file system. */
    Path absolute(Path syntaxPath) {
        return isDefault ? syntaxPath.toAbsolutePath() : syntaxRoot.resolve(syntaxPath);
    }

    /** The base directory the volume shows. */
    public Path base() {
        return backend.root();
    }

    // ---- FileSystem ---------------------------------------------------------------------------------

    @Override
    public AltitudeFileSystemProvider provider() {
        return provider;
    }

    @Override
    public void close() {
        if (isDefault) {
            throw new UnsupportedOperationException("the default file system cannot be closed");
        }
        if (open) {
            open = false;
            List<AltitudeWatchService> watching;
            synchronized (watchServices) {
                watching = List.copyOf(watchServices);
            }
            watching.forEach(AltitudeWatchService::close);
            provider.forget(this);
            Volume v = volume;
            v.manager().dismountVolume(v.name());
        }
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public String getSeparator() {
        return "/";
    }

    @Override
    public Iterable<Path> getRootDirectories() {
        return List.of(getPath("/"));
    }

    @Override
    public Iterable<FileStore> getFileStores() {
        try {
            return List.of(fileStore());
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public Set<String> supportedFileAttributeViews() {
        return views;
    }

    @Override
    public Path getPath(String first, String... more) {
        return new AltitudePath(this, syntax.getPath(first, more));
    }

    /**
     * Glob and regex matchers. {@code Files.newDirectoryStream(dir, glob)} asks for a glob matcher and then
     * lists with a filter made by {@code Files}: the glob is kept for this thread so that the listing's
     * {@code DIRECTORY_CONTROL} carries it as its pattern, as a Windows directory query does.
     */
    @Override
    public PathMatcher getPathMatcher(String syntaxAndPattern) {
        PathMatcher m = syntax.getPathMatcher(syntaxAndPattern);
        if (syntaxAndPattern.startsWith("glob:")) {
            PENDING_GLOB.set(syntaxAndPattern.substring(5));
        }
        return p -> p instanceof AltitudePath a ? m.matches(a.syntax) : m.matches(p);
    }

    private static final ThreadLocal<String> PENDING_GLOB = new ThreadLocal<>();

    /**
     * The pattern of a listing: the pending glob only when the filter is the one {@code Files} made from it
     * (a class nested in {@code java.nio.file.Files}); a caller's own filter or the accept-all one list everything.
     */
    private static String patternFor(DirectoryStream.Filter<?> filter) {
        String glob = PENDING_GLOB.get();
        PENDING_GLOB.remove();
        String made = filter == null ? "" : filter.getClass().getName();
        return made.startsWith("java.nio.file.Files$") && !made.endsWith("AcceptAllFilter") ? glob : null;
    }

    @Override
    public UserPrincipalLookupService getUserPrincipalLookupService() {
        return Attributes.lookup(backend.root().getFileSystem().getUserPrincipalLookupService());
    }

    @Override
    public WatchService newWatchService() {
        if (!open) {
            throw new ClosedFileSystemException();
        }
        AltitudeWatchService w = new AltitudeWatchService(this);
        watchServices.add(w);
        return w;
    }

    /** The watch services made here: closing the file system closes them (their directory handles) first. */
    private final Set<AltitudeWatchService> watchServices = java.util.Collections.synchronizedSet(
            java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>()));

    // ---- operations -----------------------------------------------------------------------------------

    /** What every call on a path makes besides its own operation: the open, the cleanup and the close. */
    private static final long HANDLE = MajorFunction.CREATE.bit() | MajorFunction.CLEANUP.bit()
            | MajorFunction.CLOSE.bit();
    /** A look at a file's information: by name in one QUERY_OPEN, or through a handle. */
    private static final long QUERY = HANDLE | MajorFunction.QUERY_INFORMATION.bit() | MajorFunction.QUERY_OPEN.bit();
    private static final long LIST = HANDLE | MajorFunction.DIRECTORY_CONTROL.bit();
    /** Everything a copy does: reads the source, its link or its attributes, makes and writes the target. */
    private static final long COPY = QUERY | MajorFunction.READ.bit() | MajorFunction.WRITE.bit()
            | MajorFunction.SET_INFORMATION.bit() | MajorFunction.SET_SECURITY.bit()
            | MajorFunction.FILE_SYSTEM_CONTROL.bit();

    /**
     * Whether a call that would make only the operations {@code majors} is seen by no instance attached now: it is
     * then the base's own call, at the base's cost (an instance attaching meanwhile does not see a call already
     * under way, as on Windows). Never while the default provider is starting, nor once the file system is closed.
     */
    boolean unfiltered(long majors) {
        Volume v = volume;
        return v != null && open && !v.isFilteredAny(majors);
    }

    private java.nio.file.spi.FileSystemProvider baseProvider() {
        return backend.root().getFileSystem().provider();
    }

    /** A base call's exception, naming the volume's paths. */
    IOException onVolume(IOException e) {
        return NioErrors.onVolume(e, backend::volumePathOf);
    }

    /** {@code Files.exists}: the JDK's own test where no instance sees it. */
    boolean exists(AltitudePath path, boolean noFollow) {
        if (unfiltered(QUERY)) {
            return noFollow ? baseProvider().exists(path.basePath(), LinkOption.NOFOLLOW_LINKS)
                    : baseProvider().exists(path.basePath());
        }
        try {
            if (!noFollow) {
                checkAccess(path); // one plain look (FileStandardInformation), cheaper than the attributes
                return true;
            }
            return attributesIfExists(path, false, true) != null;
        } catch (IOException e) {
            return false; // as the JDK's: a file that cannot be looked at does not exist for the caller
        }
    }

    /** {@code Files.isDirectory} and the like: the attributes, or null for a file that is not there (no exception made). */
    <A extends BasicFileAttributes> A readAttributesIfExists(AltitudePath path, Class<A> type, boolean noFollow)
            throws IOException {
        if (type != BasicFileAttributes.class || !unfiltered(QUERY)) {
            checkAttributesType(type);
            IoResult.FileAttributes a = attributesIfExists(path, type != BasicFileAttributes.class, noFollow);
            return a == null ? null : Attributes.as(type, a);
        }
        try {
            return noFollow ? baseProvider().readAttributesIfExists(path.basePath(), type, LinkOption.NOFOLLOW_LINKS)
                    : baseProvider().readAttributesIfExists(path.basePath(), type);
        } catch (IOException e) {
            throw onVolume(e);
        }
    }

    /** Sends one operation down the volume; a failure status becomes the exception Java expects. */
    CallbackData perform(FileObject fo, IoParameters p, String file, String other) throws IOException {
        if (!open) {
            throw new ClosedFileSystemException();
        }
        CallbackData d = new CallbackData(fo, p);
        NtStatus s = send(d);
        if (s.isFailure()) {
            throw failure(s, file, other, d);
        }
        return d;
    }

    /** The exception for a failed operation: the base's own, with volume paths, or the one for the status. */
    IOException failure(NtStatus s, String file, String other, CallbackData d) {
        return NioErrors.toException(s, file, other, d.result(), backend::volumePathOf);
    }

    /** Opens a file object for metadata (no data access) or with {@code create}; closed by {@link #close(FileObject)}. */
    FileObject open(AltitudePath path, IoParameters.Create create) throws IOException {
        return open(path, create, null);
    }

    /** As {@link #open(AltitudePath, IoParameters.Create)}; {@code other} is the second path a failure names. */
    FileObject open(AltitudePath path, IoParameters.Create create, String other) throws IOException {
        FileObject fo = new FileObject(path.volumePath());
        perform(fo, create, path.toString(), other);
        return fo;
    }

    FileObject openMeta(AltitudePath path, Set<Access> access, boolean noFollow) throws IOException {
        return openMeta(path, access, noFollow, null);
    }

    FileObject openMeta(AltitudePath path, Set<Access> access, boolean noFollow, String other) throws IOException {
        return open(path, new IoParameters.Create(access, CreateDisposition.OPEN,
                noFollow ? Set.of(CreateOption.OPEN_REPARSE_POINT) : Set.of(), FileKind.FILE, null, null), other);
    }

    /** CLEANUP then CLOSE, as closing a handle does. */
    void close(FileObject fo) {
        send(new CallbackData(fo, new IoParameters.Cleanup()));
        send(new CallbackData(fo, new IoParameters.Close()));
    }

    static boolean noFollow(Object... options) {
        return Arrays.asList(options).contains(LinkOption.NOFOLLOW_LINKS);
    }

    /** Opens metadata-only, runs one operation, closes; returns the operation's result. */
    IoResult metaOperation(AltitudePath path, Set<Access> access, boolean noFollow, IoParameters p, String other)
            throws IOException {
        FileObject fo = openMeta(path, access, noFollow, other);
        try {
            return perform(fo, p, path.toString(), other).result();
        } finally {
            close(fo);
        }
    }

    void createDirectory(AltitudePath dir, FileAttribute<?>... attrs) throws IOException {
        FileObject fo = open(dir, new IoParameters.Create(Set.of(Access.READ_DATA), CreateDisposition.CREATE, Set.of(),
                FileKind.DIRECTORY, null, mode(attrs)));
        close(fo);
    }

    void delete(AltitudePath path) throws IOException {
        metaOperation(path, Set.of(Access.DELETE), true,
                new IoParameters.SetInformation(new FileInformation.Disposition(true)), null);
    }

    void move(AltitudePath source, AltitudePath target, CopyOption... options) throws IOException {
        List<CopyOption> o = Arrays.asList(options);
        FileInformationClass c = o.contains(StandardCopyOption.ATOMIC_MOVE)
                ? FileInformationClass.FileRenameInformationEx : FileInformationClass.FileRenameInformation;
        metaOperation(source, Set.of(Access.DELETE), true,
                new IoParameters.SetInformation(c, new FileInformation.Rename(target.volumePath(),
                        o.contains(StandardCopyOption.REPLACE_EXISTING))),
                target.toString());
    }

    /** A copy as a program would do it: the filters see the source read and the target written. */
    void copy(AltitudePath source, AltitudePath target, CopyOption... options) throws IOException {
        if (unfiltered(COPY)) {
            try {
                baseProvider().copy(source.basePath(), target.basePath(), options);
                return;
            } catch (IOException e) {
                throw onVolume(e);
            }
        }
        List<CopyOption> o = Arrays.asList(options);
        boolean noFollow = o.contains(LinkOption.NOFOLLOW_LINKS);
        boolean copyAttributes = o.contains(StandardCopyOption.COPY_ATTRIBUTES);
        // owner and group by name too, where the base cannot take their numbers (the JDK's can: no name to look up)
        IoResult.FileAttributes attrs = attributes(source, copyAttributes && !backend.ownersById(), noFollow);
        IoResult.FileAttributes existing = attributesIfExists(target, false, true);
        if (existing != null) {
            // as the JDK does: the same file (the target not followed) is no copy at all
            boolean same = attrs.inode() >= 0 ? attrs.inode() == existing.inode() && attrs.device() == existing.device()
                    : source.equals(target);
            if (same) {
                return;
            }
            if (!o.contains(StandardCopyOption.REPLACE_EXISTING)) {
                throw new java.nio.file.FileAlreadyExistsException(target.toString());
            }
            delete(target);
        }
        if (attrs.kind() == IoParameters.FileKind.SYMBOLIC_LINK) {
            createSymbolicLink(target, readSymbolicLink(source));
            if (copyAttributes) {
                setTimes(target, attrs.lastModifiedTime(), attrs.lastAccessTime(), null, true);
            }
            return;
        }
        if (attrs.kind() == IoParameters.FileKind.DIRECTORY) {
            createDirectory(target);
            if (copyAttributes) {
                FileObject fo = openMeta(target, Set.of(Access.WRITE_DAC, Access.WRITE_ATTRIBUTES), true);
                try {
                    copyAttributes(attrs, p -> perform(fo, p, target.toString(), null));
                } finally {
                    close(fo);
                }
            }
            return;
        }
        try (var in = FilteredFileChannel.open(source, noFollow ? Set.of(java.nio.file.StandardOpenOption.READ,
                LinkOption.NOFOLLOW_LINKS) : Set.of(java.nio.file.StandardOpenOption.READ));
             var out = FilteredFileChannel.open(target, Set.of(java.nio.file.StandardOpenOption.WRITE,
                     java.nio.file.StandardOpenOption.CREATE_NEW))) {
            in.transferTo(0, Long.MAX_VALUE, out, attrs.size());
            if (copyAttributes) {
                copyAttributes(attrs, out::operate); // on the new file's own handle: no opens of their own
            }
        }
    }

    /** An operation that throws the caller's exception for a failure. */
    interface Operation {
        void run(IoParameters p) throws IOException;
    }

    /**
     * As the JDK's copy with {@code COPY_ATTRIBUTES}: owner and group where allowed (one change, as {@code fchown}),
     * the permissions, then the times; each one operation on the target's handle.
     */
    private static void copyAttributes(IoResult.FileAttributes a, Operation on) throws IOException {
        if (a.hasPosix()) {
            try {
                on.run(IoParameters.SetSecurity.chown(a.owner(), a.group()));
            } catch (java.nio.file.FileSystemException e) {
                // not allowed to give the file away: the JDK copies without, too
            }
            on.run(IoParameters.SetSecurity.mode(FileMode.of(a.mode().permissions())));
        }
        on.run(new IoParameters.SetInformation(new FileInformation.Basic(null, a.lastAccessTime(), a.lastModifiedTime(),
                null)));
    }

    /**
     * The file's attributes ({@code names}: with the owner's and group's names), or null for one that is not there;
     * no exception made for that.
     */
    private IoResult.FileAttributes attributesIfExists(AltitudePath p, boolean names, boolean noFollow) throws IOException {
        return (IoResult.FileAttributes) queryByName(p, names ? FileInformationClass.FileAllInformation
                : FileInformationClass.FileBasicInformation, noFollow, true);
    }

    /**
     * The information {@code c} of the file {@code p} names; null for a file that is not there if {@code ifExists}
     * (no exception made for it). One {@code QUERY_OPEN} where the volume takes queries by name
     * ({@link Volume#queriesByName()}); otherwise, or when an instance disallows it, the open, the query and the close.
     */
    private IoResult queryByName(AltitudePath p, FileInformationClass c, boolean noFollow, boolean ifExists)
            throws IOException {
        Volume v = volume;
        if (v != null && v.queriesByName()) {
            if (!open) {
                throw new ClosedFileSystemException();
            }
            CallbackData d = new CallbackData(new FileObject(p.volumePath()), new IoParameters.QueryOpen(c, noFollow));
            NtStatus s = v.perform(d);
            if (!s.equals(NtStatus.FLT_DISALLOW_FAST_IO)) {
                return result(d, s, p, ifExists);
            }
        }
        FileObject fo = openMeta(p, Set.of(Access.READ_ATTRIBUTES), noFollow);
        try {
            CallbackData d = new CallbackData(fo, new IoParameters.QueryInformation(c));
            return result(d, send(d), p, ifExists);
        } finally {
            close(fo);
        }
    }

    private IoResult result(CallbackData d, NtStatus s, AltitudePath p, boolean ifExists) throws IOException {
        if (ifExists && (s.equals(NtStatus.OBJECT_NAME_NOT_FOUND) || s.equals(NtStatus.OBJECT_PATH_NOT_FOUND))) {
            return null;
        }
        if (s.isFailure()) {
            throw failure(s, p.toString(), null, d);
        }
        return d.result();
    }

    void createSymbolicLink(AltitudePath link, Path target, FileAttribute<?>... attrs) throws IOException {
        if (attrs.length > 0) {
            throw new UnsupportedOperationException("initial file attributes are not supported when creating a symbolic link");
        }
        String t = target instanceof AltitudePath a ? (a.isAbsolute() ? a.volumePath() : a.syntax.toString()) : target.toString();
        FileObject fo = open(link, new IoParameters.Create(Set.of(), CreateDisposition.CREATE, Set.of(), FileKind.SYMBOLIC_LINK,
                t, mode(attrs)));
        close(fo);
    }

    void createLink(AltitudePath link, AltitudePath existing) throws IOException {
        FileObject fo = open(link, new IoParameters.Create(Set.of(), CreateDisposition.CREATE, Set.of(), FileKind.HARD_LINK,
                existing.volumePath(), null), existing.toString());
        close(fo);
    }

    Path readSymbolicLink(AltitudePath link) throws IOException {
        String target = ((IoResult.ReparsePoint) metaOperation(link, Set.of(Access.READ_ATTRIBUTES), true,
                IoParameters.FileSystemControl.getReparsePoint(), null)).target();
        Path base = backend.root().getFileSystem().getPath(target);
        if (base.isAbsolute() && base.startsWith(backend.root())) {
            return getPath("/").resolve(backend.root().relativize(base).toString());
        }
        return getPath(target);
    }

    Path realPath(AltitudePath path, LinkOption... options) throws IOException {
        String real = ((IoResult.NormalizedName) metaOperation(path, Set.of(Access.READ_ATTRIBUTES),
                noFollow((Object[]) options),
                new IoParameters.QueryInformation(FileInformationClass.FileNormalizedNameInformation), null)).path();
        return getPath(real);
    }

    <A extends BasicFileAttributes> A readAttributes(AltitudePath path, Class<A> type, boolean noFollow) throws IOException {
        checkAttributesType(type);
        if (type == BasicFileAttributes.class && unfiltered(QUERY)) {
            try {
                return noFollow ? baseProvider().readAttributes(path.basePath(), type, LinkOption.NOFOLLOW_LINKS)
                        : baseProvider().readAttributes(path.basePath(), type);
            } catch (IOException e) {
                throw onVolume(e);
            }
        }
        return Attributes.as(type, attributes(path, type != BasicFileAttributes.class, noFollow));
    }

    private static void checkAttributesType(Class<?> type) {
        if (type != BasicFileAttributes.class && type != PosixFileAttributes.class) {
            throw new UnsupportedOperationException(type.getName() + " is not supported on this volume");
        }
    }

    Map<String, Object> readAttributes(AltitudePath path, String attributes, boolean noFollow) throws IOException {
        Attributes.Request r = Attributes.request(attributes, views);
        return Attributes.map(r, attributes(path, r.needsPrincipalNames(), noFollow));
    }

    /** The file's typed attributes; {@code names}: with the owner's and group's names ({@code FileAllInformation}). */
    IoResult.FileAttributes attributes(AltitudePath path, boolean names, boolean noFollow) throws IOException {
        return (IoResult.FileAttributes) queryByName(path, names ? FileInformationClass.FileAllInformation
                : FileInformationClass.FileBasicInformation, noFollow, false);
    }

    /** Owner, group, permissions and mode are security ({@code SET_SECURITY}); times are {@code SET_INFORMATION}. */
    void setAttribute(AltitudePath path, String attribute, Object value, boolean noFollow) throws IOException {
        IoParameters p = Attributes.setting(attribute, value, views);
        metaOperation(path, Set.of(p instanceof IoParameters.SetSecurity ? Access.WRITE_DAC : Access.WRITE_ATTRIBUTES),
                noFollow, p, null);
    }

    /** Sets the times in one operation, as {@code BasicFileAttributeView.setTimes}; nothing to set is no operation. */
    void setTimes(AltitudePath path, FileTime lastModified, FileTime lastAccess, FileTime created, boolean noFollow)
            throws IOException {
        if (lastModified == null && lastAccess == null && created == null) {
            return;
        }
        metaOperation(path, Set.of(Access.WRITE_ATTRIBUTES), noFollow, new IoParameters.SetInformation(
                new FileInformation.Basic(created, lastAccess, lastModified, null)), null);
    }

    void checkAccess(AltitudePath path, AccessMode... modes) throws IOException {
        if (unfiltered(QUERY)) {
            try {
                baseProvider().checkAccess(path.basePath(), modes);
                return;
            } catch (IOException e) {
                throw onVolume(e);
            }
        }
        if (modes.length == 0) {
            // whether it is there at all: one look at it, no question of access
            queryByName(path, FileInformationClass.FileStandardInformation, false, false);
            return;
        }
        IoResult.AccessInformation may = (IoResult.AccessInformation) queryByName(path,
                FileInformationClass.FileAccessInformation, false, false);
        for (AccessMode m : modes) {
            boolean ok = switch (m) {
                case READ -> may.read();
                case WRITE -> may.write();
                case EXECUTE -> may.execute();
            };
            if (!ok) {
                throw new java.nio.file.AccessDeniedException(path.toString());
            }
        }
    }

    /** The mode of a create's attributes: {@code posix:permissions} is the only one a volume takes. */
    static FileMode mode(FileAttribute<?>... attrs) {
        FileMode mode = null;
        for (FileAttribute<?> a : attrs) {
            if (!a.name().equals("posix:permissions") && !a.name().equals("unix:permissions")) {
                throw new UnsupportedOperationException("'" + a.name() + "' not supported as initial attribute");
            }
            @SuppressWarnings("unchecked")
            Set<java.nio.file.attribute.PosixFilePermission> perms = (Set<java.nio.file.attribute.PosixFilePermission>) a.value();
            mode = FileMode.of(perms);
        }
        return mode;
    }

    FileStore fileStore() throws IOException {
        return fileStore((AltitudePath) getPath("/"));
    }

    /** The store {@code path} is on (the base may have more than one below its root), its link followed. */
    FileStore fileStore(AltitudePath path) throws IOException {
        FileObject fo = openMeta(path, Set.of(Access.READ_ATTRIBUTES), false);
        try {
            return new Store((IoResult.VolumeInformation) perform(fo, new IoParameters.QueryVolumeInformation(
                    IoParameters.FsInformationClass.FileFsFullSizeInformation), path.toString(), null).result(), views);
        } finally {
            close(fo);
        }
    }

    DirectoryStream<Path> newDirectoryStream(AltitudePath dir, DirectoryStream.Filter<? super Path> filter) throws IOException {
        String glob = patternFor(filter);
        if (unfiltered(LIST)) {
            return baseDirectoryStream(dir, filter);
        }
        FileObject fo = open(dir, new IoParameters.Create(Set.of(Access.READ_DATA), CreateDisposition.OPEN, Set.of(),
                FileKind.DIRECTORY, null, null));
        IoResult.DirectoryListing listing;
        try {
            listing = (IoResult.DirectoryListing) perform(fo, new IoParameters.DirectoryControl(glob), dir.toString(), null)
                    .result();
        } catch (IOException e) {
            close(fo);
            throw e;
        }
        List<Path> all = new ArrayList<>();
        for (IoResult.DirectoryEntry e : listing.entries()) {
            all.add(dir.resolve(e.name()));
        }
        Iterator<Path> entries = accepted(all.iterator(), filter);
        return new DirectoryStream<>() {
            private boolean closed;
            private boolean iterated;

            @Override
            public Iterator<Path> iterator() {
                if (closed || iterated) {
                    throw new IllegalStateException(closed ? "directory stream closed" : "iterator already obtained");
                }
                iterated = true;
                return entries;
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    AltitudeFileSystem.this.close(fo);
                }
            }
        };
    }

    /**
     * The entries {@code filter} accepts, asked as the iterator goes, as the JDK's: the filter's IOException comes
     * from the iterator, wrapped in {@code DirectoryIteratorException}.
     */
    private static Iterator<Path> accepted(Iterator<Path> all, DirectoryStream.Filter<? super Path> filter) {
        return new Iterator<>() {
            private Path next;

            @Override
            public boolean hasNext() {
                while (next == null && all.hasNext()) {
                    Path p = all.next();
                    try {
                        if (filter == null || filter.accept(p)) {
                            next = p;
                        }
                    } catch (IOException e) {
                        throw new java.nio.file.DirectoryIteratorException(e);
                    }
                }
                return next != null;
            }

            @Override
            public Path next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                Path p = next;
                next = null;
                return p;
            }
        };
    }

    /** The base's own listing, its entries as paths of the volume, the filter asked as the iterator goes. */
    private DirectoryStream<Path> baseDirectoryStream(AltitudePath dir, DirectoryStream.Filter<? super Path> filter)
            throws IOException {
        DirectoryStream<Path> base;
        try {
            base = baseProvider().newDirectoryStream(dir.basePath(), p -> true);
        } catch (IOException e) {
            throw onVolume(e);
        }
        return new DirectoryStream<>() {
            @Override
            public Iterator<Path> iterator() {
                Iterator<Path> names = base.iterator();
                return accepted(new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return names.hasNext();
                    }

                    @Override
                    public Path next() {
                        // the base's entry is the new path's base path; its name joins the volume's syntax unparsed
                        // where both are of one provider (a volume on the disk, the default file system)
                        Path entry = names.next();
                        Path name = entry.getFileName();
                        Path syntax = name.getFileSystem().provider() == dir.syntax.getFileSystem().provider()
                                ? dir.syntax.resolve(name) : dir.syntax.resolve(name.toString());
                        return new AltitudePath(AltitudeFileSystem.this, syntax, entry);
                    }
                }, filter);
            }

            @Override
            public void close() throws IOException {
                base.close();
            }
        };
    }

    @Override
    public String toString() {
        return isDefault ? "altitude default file system over " + backend.root()
                : AltitudeFileSystemProvider.SCHEME + "://" + volume.name() + " over " + backend.root();
    }

    /** The volume's store: its sizes as the volume answers them, and the views the volume offers. */
    private static final class Store extends FileStore {
        private final IoResult.VolumeInformation v;
        private final Set<String> views;

        Store(IoResult.VolumeInformation v, Set<String> views) {
            this.v = v;
            this.views = views;
        }

        @Override
        public String name() {
            return v.name();
        }

        @Override
        public String type() {
            return v.type();
        }

        @Override
        public boolean isReadOnly() {
            return v.readOnly();
        }

        @Override
        public long getTotalSpace() {
            return v.totalBytes();
        }

        @Override
        public long getUsableSpace() {
            return v.usableBytes();
        }

        @Override
        public long getUnallocatedSpace() {
            return v.freeBytes();
        }

        @Override
        public long getBlockSize() {
            return v.blockSize();
        }

        @Override
        public boolean supportsFileAttributeView(Class<? extends java.nio.file.attribute.FileAttributeView> type) {
            return type == java.nio.file.attribute.BasicFileAttributeView.class
                    || type == java.nio.file.attribute.PosixFileAttributeView.class && views.contains("posix")
                    || type == java.nio.file.attribute.FileOwnerAttributeView.class && views.contains("owner");
        }

        @Override
        public boolean supportsFileAttributeView(String name) {
            return views.contains(name);
        }

        @Override
        public <V extends java.nio.file.attribute.FileStoreAttributeView> V getFileStoreAttributeView(Class<V> type) {
            java.util.Objects.requireNonNull(type, "type");
            return null;
        }

        @Override
        public Object getAttribute(String attribute) throws IOException {
            return switch (attribute) {
                case "totalSpace" -> getTotalSpace();
                case "usableSpace" -> getUsableSpace();
                case "unallocatedSpace" -> getUnallocatedSpace();
                default -> throw new UnsupportedOperationException("'" + attribute + "' not recognized");
            };
        }

        @Override
        public String toString() {
            return v.name() + " (" + v.type() + ")";
        }
    }
}
