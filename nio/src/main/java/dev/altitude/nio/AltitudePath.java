package dev.altitude.nio;

import java.io.IOException;
import java.net.URI;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Objects;

/**
 * A path of a filtered volume: Unix syntax, {@code /} the volume's root. The syntax (resolve, relativize,
 * normalize, compare) is that of a Unix path; what touches the file system goes through the volume.
 */
final class AltitudePath implements Path {
    final AltitudeFileSystem fs;
    final Path syntax;

    AltitudePath(AltitudeFileSystem fs, Path syntax) {
        this.fs = fs;
        this.syntax = syntax;
    }

    /** A path whose base path is known already (an entry of the base's own listing). */
    AltitudePath(AltitudeFileSystem fs, Path syntax, Path base) {
        this(fs, syntax);
        this.base = base;
    }

    private AltitudePath wrap(Path p) {
        return p == null ? null : new AltitudePath(fs, p);
    }

    static AltitudePath of(Path p) {
        if (p instanceof AltitudePath a) {
            return a;
        }
        throw new ProviderMismatchException("not an Altitude path: " + p);
    }

    /**
     * The volume path ({@code /a/b}) of this path, made absolute and normalized, so that {@code ..} cannot
     * leave the volume's base directory. On the default file system (root {@code /}) it is only made
     * absolute: the base file system resolves {@code ..} after symbolic links, as it would without Altitude.
     */
    String volumePath() {
        String v = volume;
        if (v == null) {
            Path abs = fs.absolute(syntax);
            volume = v = (fs.isDefault() ? abs : abs.normalize()).toString();
        }
        return v;
    }

    /** Made once (a path is immutable; a race makes it twice, alike). */
    private String volume;

    /** The base file system's path of this one, made once (a relative one against user.dir as of then). */
    private Path base;

    Path basePath() {
        Path b = base;
        if (b == null) {
            base = b = fs.backend().resolve(volumePath());
        }
        return b;
    }

    @Override
    public AltitudeFileSystem getFileSystem() {
        return fs;
    }

    @Override
    public boolean isAbsolute() {
        return syntax.isAbsolute();
    }

    @Override
    public Path getRoot() {
        return wrap(syntax.getRoot());
    }

    @Override
    public Path getFileName() {
        return wrap(syntax.getFileName());
    }

    @Override
    public Path getParent() {
        return wrap(syntax.getParent());
    }

    @Override
    public int getNameCount() {
        return syntax.getNameCount();
    }

    @Override
    public Path getName(int index) {
        return wrap(syntax.getName(index));
    }

    @Override
    public Path subpath(int beginIndex, int endIndex) {
        return wrap(syntax.subpath(beginIndex, endIndex));
    }

    @Override
    public boolean startsWith(Path other) {
        return other instanceof AltitudePath a && a.fs == fs && syntax.startsWith(a.syntax);
    }

    @Override
    public boolean endsWith(Path other) {
        return other instanceof AltitudePath a && a.fs == fs && syntax.endsWith(a.syntax);
    }

    @Override
    public Path normalize() {
        return wrap(syntax.normalize());
    }

    @Override
    public Path resolve(Path other) {
        return wrap(syntax.resolve(of(other).syntax));
    }

    @Override
    public Path resolve(String other) {
        return wrap(syntax.resolve(other));
    }

    @Override
    public Path relativize(Path other) {
        return wrap(syntax.relativize(of(other).syntax));
    }

    @Override
    public URI toUri() {
        if (fs.isDefault()) {
            return fs.absolute(syntax).toUri();
        }
        return URI.create(AltitudeFileSystemProvider.SCHEME + "://" + fs.volume().name()
                + AltitudeFileSystemProvider.encode(volumePath()));
    }

    @Override
    public Path toAbsolutePath() {
        return isAbsolute() ? this : wrap(fs.absolute(syntax));
    }

    @Override
    public Path toRealPath(LinkOption... options) throws IOException {
        return fs.realPath(this, options);
    }

    @Override
    public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers)
            throws IOException {
        Objects.requireNonNull(watcher, "watcher");
        if (!(watcher instanceof AltitudeWatchService w) || w.fileSystem() != fs) {
            throw new ProviderMismatchException("a watch service of another file system: " + watcher);
        }
        return w.register(this, events, modifiers);
    }

    @Override
    public int compareTo(Path other) {
        return syntax.compareTo(of(other).syntax);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AltitudePath a && a.fs == fs && a.syntax.equals(syntax);
    }

    @Override
    public int hashCode() {
        return Objects.hash(fs, syntax);
    }

    @Override
    public String toString() {
        return syntax.toString();
    }
}
