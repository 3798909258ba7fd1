package dev.altitude.nio;

import dev.altitude.core.FilterManager;
import dev.altitude.core.Volume;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.spi.FileSystemProvider;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code altitude} scheme: each file system is a filtered volume of a {@link FilterManager} over a
 * base directory of any file system. URI form: {@code altitude://<volume>/<path>}.
 *
 * <pre>
 * FileSystem fs = AltitudeFileSystemProvider.mount(manager, "data", Path.of("/srv/data"));
 * // or, with the provider installed (it is, through META-INF/services):
 * FileSystem fs = FileSystems.newFileSystem(URI.create("altitude://data"),
 *         Map.of("base", Path.of("/srv/data"), "manager", manager));
 * </pre>
 *
 * Without a {@code manager} entry the file system uses one filter manager shared by the process
 * ({@link #sharedManager()}).
 *
 * <h2>Default-provider mode</h2>
 * With {@code -Djava.nio.file.spi.DefaultFileSystemProvider=dev.altitude.nio.AltitudeFileSystemProvider}
 * the JDK builds this provider around its own ({@link #AltitudeFileSystemProvider(FileSystemProvider)}):
 * the JVM's default file system becomes one filtered volume, {@value #DEFAULT_VOLUME}, over {@code /}, so
 * that {@code Path.of}, {@code Files}, {@code FileChannel.open} and directory streams of an unmodified
 * program pass through the filters. The filters are loaded on the first file operation, into
 * {@link #sharedManager()}: those named by the system property {@value #FILTERS_PROPERTY}
 * ({@code name[@altitude],...}; a name may be the class name of a {@code FilterDriver}), or by the
 * {@code filters} key of the properties file named by {@value #CONFIG_PROPERTY} (whose other keys,
 * {@code <filter>.<parameter>=value}, become the filters' {@code DriverConfig} parameters). At exit the
 * manager is closed: every filter gets its mandatory unload. Not covered: {@code java.io}
 * ({@code FileInputStream}, {@code FileOutputStream}, {@code RandomAccessFile}, {@code File}'s own methods)
 * and the JDK's class loading, which use the operating system directly.
 */
public final class AltitudeFileSystemProvider extends FileSystemProvider {
    public static final String SCHEME = "altitude";
    /** Default-provider mode: the filters to load, {@code name[@altitude],...}. */
    public static final String FILTERS_PROPERTY = "altitude.filters";
    /** Default-provider mode: a properties file with {@code filters=...} and {@code <filter>.<parameter>=...}. */
    public static final String CONFIG_PROPERTY = "altitude.config";
    /** Default-provider mode: the name of the volume that is the default file system. */
    public static final String DEFAULT_VOLUME = "root";
    private static volatile FilterManager shared;

    private final String scheme;
    private final FileSystem syntax;
    private final Map<String, AltitudeFileSystem> systems = new ConcurrentHashMap<>();
    /** Default-provider mode: the JDK's own provider and the default file system over it. */
    private final FileSystemProvider builtin;
    private final AltitudeFileSystem defaultFs;
    private final Object startLock = new Object();
    private Thread starting;

    /** The {@code altitude} scheme, as {@link java.util.ServiceLoader} makes it. */
    public AltitudeFileSystemProvider() {
        this.scheme = SCHEME;
        FileSystem d = FileSystems.getDefault();
        this.syntax = d instanceof AltitudeFileSystem a ? a.syntax() : d;
        this.builtin = null;
        this.defaultFs = null;
    }

    /**
     * Default-provider mode: the JDK calls this with its built-in provider while it builds the default file
     * system, so nothing here may touch {@code FileSystems.getDefault()}; the filter manager starts later.
     */
    public AltitudeFileSystemProvider(FileSystemProvider builtin) throws IOException {
        this.scheme = builtin.getScheme();
        this.builtin = builtin;
        this.syntax = builtin.getFileSystem(URI.create("file:///"));
        this.defaultFs = new AltitudeFileSystem(this, new NioBackend(syntax.getPath("/")), syntax, true);
    }

    /** The installed {@code altitude} provider (found through {@link FileSystemProvider#installedProviders()}), or a new one. */
    public static AltitudeFileSystemProvider instance() {
        for (FileSystemProvider p : FileSystemProvider.installedProviders()) {
            if (p instanceof AltitudeFileSystemProvider a && a.defaultFs == null) {
                return a;
            }
        }
        return Holder.FALLBACK;
    }

    private static final class Holder {
        static final AltitudeFileSystemProvider FALLBACK = new AltitudeFileSystemProvider();
    }

    /** The filter manager of file systems made without one, and of the default file system in default-provider mode. */
    public static synchronized FilterManager sharedManager() {
        if (shared == null) {
            shared = FilterManager.create();
        }
        return shared;
    }

    /** Mounts {@code base} as volume {@code volumeName} of {@code manager} and returns its file system. */
    public static AltitudeFileSystem mount(FilterManager manager, String volumeName, Path base) throws IOException {
        return instance().newFileSystem(manager, volumeName, base);
    }

    AltitudeFileSystem newFileSystem(FilterManager manager, String volumeName, Path base) throws IOException {
        if (defaultFs != null) {
            throw new FileSystemAlreadyExistsException(scheme + ":///");
        }
        NioBackend backend = new NioBackend(base);
        if (systems.containsKey(volumeName)) {
            throw new FileSystemAlreadyExistsException(SCHEME + "://" + volumeName);
        }
        Volume volume = manager.mountVolume(volumeName, backend);
        AltitudeFileSystem fs = new AltitudeFileSystem(this, backend, syntax, false);
        fs.bind(volume);
        if (systems.putIfAbsent(volumeName, fs) != null) {
            manager.dismountVolume(volumeName);
            throw new FileSystemAlreadyExistsException(SCHEME + "://" + volumeName);
        }
        return fs;
    }

    void forget(AltitudeFileSystem fs) {
        systems.remove(fs.volume().name(), fs);
    }

    /**
     * Default-provider mode: mounts the default volume and loads the configured filters, once, on the first
     * operation. Other threads wait for it; the starting thread's own file I/O meanwhile (the manager's, a
     * driver entry's) gets null and goes to the base file system unfiltered.
     */
    Volume startDefault() {
        if (defaultFs == null) {
            throw new IllegalStateException("not the default provider");
        }
        synchronized (startLock) {
            Volume v = defaultFs.boundVolume();
            if (v != null || starting == Thread.currentThread()) {
                return v;
            }
            starting = Thread.currentThread();
            try {
                FilterManager m = sharedManager();
                v = m.mountVolume(DEFAULT_VOLUME, defaultFs.backend());
                DefaultFilters.load(m, System.getProperty(FILTERS_PROPERTY), System.getProperty(CONFIG_PROPERTY));
                Runtime.getRuntime().addShutdownHook(new Thread(m::close, "altitude-shutdown"));
                defaultFs.bind(v);
                return v;
            } finally {
                starting = null;
            }
        }
    }

    static String encode(String path) {
        try {
            return new URI(null, null, path, null).getRawPath();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static String volumeOf(URI uri) {
        if (!SCHEME.equalsIgnoreCase(uri.getScheme()) || uri.getAuthority() == null) {
            throw new IllegalArgumentException("not an altitude://<volume>/<path> URI: " + uri);
        }
        return uri.getAuthority();
    }

    private static AltitudePath path(Path p) {
        return AltitudePath.of(p);
    }

    // ---- FileSystemProvider --------------------------------------------------------------------------

    @Override
    public String getScheme() {
        return scheme;
    }

    @Override
    public AltitudeFileSystem newFileSystem(URI uri, Map<String, ?> env) throws IOException {
        if (defaultFs != null) {
            throw new FileSystemAlreadyExistsException(uri.toString());
        }
        Object base = env.get("base");
        if (base == null) {
            throw new IllegalArgumentException("env needs \"base\": the directory (Path or String) the volume shows");
        }
        Object manager = env.get("manager");
        return newFileSystem(manager instanceof FilterManager m ? m : sharedManager(), volumeOf(uri),
                base instanceof Path p ? p : Path.of(base.toString()));
    }

    @Override
    public FileSystem getFileSystem(URI uri) {
        if (defaultFs != null) {
            builtin.getFileSystem(uri); // checks the URI
            return defaultFs;
        }
        AltitudeFileSystem fs = systems.get(volumeOf(uri));
        if (fs == null) {
            throw new FileSystemNotFoundException(uri.toString());
        }
        return fs;
    }

    @Override
    public Path getPath(URI uri) {
        if (defaultFs != null) {
            return new AltitudePath(defaultFs, builtin.getPath(uri));
        }
        return getFileSystem(uri).getPath(uri.getPath().isEmpty() ? "/" : uri.getPath());
    }

    @Override
    public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        return FilteredFileChannel.open(path(path), options, attrs);
    }

    @Override
    public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        return FilteredFileChannel.open(path(path), options, attrs);
    }

    @Override
    public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter) throws IOException {
        return path(dir).fs.newDirectoryStream(path(dir), filter);
    }

    @Override
    public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
        path(dir).fs.createDirectory(path(dir), attrs);
    }

    @Override
    public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs) throws IOException {
        path(link).fs.createSymbolicLink(path(link), target, attrs);
    }

    @Override
    public void createLink(Path link, Path existing) throws IOException {
        path(link).fs.createLink(path(link), path(existing));
    }

    @Override
    public Path readSymbolicLink(Path link) throws IOException {
        return path(link).fs.readSymbolicLink(path(link));
    }

    @Override
    public void delete(Path path) throws IOException {
        path(path).fs.delete(path(path));
    }

    @Override
    public void copy(Path source, Path target, CopyOption... options) throws IOException {
        checkSameFileSystem(source, target);
        path(source).fs.copy(path(source), path(target), options);
    }

    @Override
    public void move(Path source, Path target, CopyOption... options) throws IOException {
        checkSameFileSystem(source, target);
        path(source).fs.move(path(source), path(target), options);
    }

    private static void checkSameFileSystem(Path a, Path b) {
        if (path(a).fs != path(b).fs) {
            throw new ProviderMismatchException("copy or move between two Altitude volumes: use streams");
        }
    }

    @Override
    public boolean isSameFile(Path path, Path path2) throws IOException {
        java.util.Objects.requireNonNull(path, "path");
        java.util.Objects.requireNonNull(path2, "path2");
        if (path.equals(path2)) {
            return true;
        }
        if (!(path2 instanceof AltitudePath b) || b.fs != path(path).fs) {
            return false;
        }
        // as the JDK: the same file when its identity is (hard links are), else when the real paths are
        Object k1 = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        Object k2 = Files.readAttributes(path2, BasicFileAttributes.class).fileKey();
        if (k1 != null && k2 != null) {
            return k1.equals(k2);
        }
        return path.toRealPath().equals(path2.toRealPath());
    }

    @Override
    public boolean exists(Path path, LinkOption... options) {
        return path(path).fs.exists(path(path), AltitudeFileSystem.noFollow((Object[]) options));
    }

    @Override
    public <A extends BasicFileAttributes> A readAttributesIfExists(Path path, Class<A> type, LinkOption... options)
            throws IOException {
        return path(path).fs.readAttributesIfExists(path(path), type, AltitudeFileSystem.noFollow((Object[]) options));
    }

    @Override
    public boolean isHidden(Path path) {
        Path name = path.getFileName();
        return name != null && name.toString().startsWith(".");
    }

    @Override
    public FileStore getFileStore(Path path) throws IOException {
        return path(path).fs.fileStore(path(path));
    }

    @Override
    public void checkAccess(Path path, AccessMode... modes) throws IOException {
        path(path).fs.checkAccess(path(path), modes);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
        // each view of exactly the kind asked for, as the JDK's: the basic one is no POSIX one, nor the owner one
        AltitudePath p = path(path);
        boolean noFollow = AltitudeFileSystem.noFollow((Object[]) options);
        if (type == BasicFileAttributeView.class) {
            return (V) new BasicView(new View(p, "basic", noFollow));
        }
        if (type == FileOwnerAttributeView.class && p.fs.supportedFileAttributeViews().contains("owner")) {
            return (V) new OwnerView(new View(p, "owner", noFollow));
        }
        if (type == PosixFileAttributeView.class && p.fs.supportedFileAttributeViews().contains("posix")) {
            return (V) new View(p, "posix", noFollow);
        }
        return null;
    }

    @Override
    public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options) throws IOException {
        return path(path).fs.readAttributes(path(path), type, AltitudeFileSystem.noFollow((Object[]) options));
    }

    @Override
    public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options) throws IOException {
        return path(path).fs.readAttributes(path(path), attributes, AltitudeFileSystem.noFollow((Object[]) options));
    }

    @Override
    public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
        path(path).fs.setAttribute(path(path), attribute, value, AltitudeFileSystem.noFollow((Object[]) options));
    }

    /** The basic view alone. */
    private record BasicView(View v) implements BasicFileAttributeView {
        @Override
        public String name() {
            return "basic";
        }

        @Override
        public BasicFileAttributes readAttributes() throws IOException {
            return v.readAttributes();
        }

        @Override
        public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime) throws IOException {
            v.setTimes(lastModifiedTime, lastAccessTime, createTime);
        }
    }

    /** The owner view alone. */
    private record OwnerView(View v) implements FileOwnerAttributeView {
        @Override
        public String name() {
            return "owner";
        }

        @Override
        public UserPrincipal getOwner() throws IOException {
            return v.getOwner();
        }

        @Override
        public void setOwner(UserPrincipal owner) throws IOException {
            v.setOwner(owner);
        }
    }

    /** The POSIX view (and what the basic and owner views delegate to), each read and write going through the volume. */
    private record View(AltitudePath path, String name, boolean noFollow) implements PosixFileAttributeView {
        @Override
        public PosixFileAttributes readAttributes() throws IOException {
            return path.fs.readAttributes(path, PosixFileAttributes.class, noFollow);
        }

        @Override
        public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime) throws IOException {
            path.fs.setTimes(path, lastModifiedTime, lastAccessTime, createTime, noFollow);
        }

        @Override
        public void setPermissions(Set<PosixFilePermission> perms) throws IOException {
            path.fs.setAttribute(path, "posix:permissions", perms, noFollow);
        }

        @Override
        public void setGroup(GroupPrincipal group) throws IOException {
            path.fs.setAttribute(path, "posix:group", group, noFollow);
        }

        @Override
        public UserPrincipal getOwner() throws IOException {
            return (UserPrincipal) path.fs.readAttributes(path, "owner:owner", noFollow).get("owner");
        }

        @Override
        public void setOwner(UserPrincipal owner) throws IOException {
            path.fs.setAttribute(path, "owner:owner", owner, noFollow);
        }
    }
}
