package dev.altitude.nio;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import dev.altitude.core.FilterManager;
import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.DosFileAttributeView;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract of {@code java.nio.file} at its edges: each case runs on the JDK's own provider (on the disk) and on an
 * Altitude volume over the disk and over jimfs, and must give the same result or throw the same exception type (jimfs
 * itself does not keep all of the contract: a null or unknown open option goes unchecked there, for one). The store
 * case compares with the base's own store instead. A case is a function of a directory holding a file {@code f}
 * (mode 0640, a known modification time) and a directory {@code d}.
 */
class NioContractTest extends TwoBases {
    interface Case {
        Object run(Path root) throws Exception;
    }

    /** An option no provider knows. */
    enum Unknown implements OpenOption { OPTION }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (String base : List.of("disk", "jimfs")) {
            all.add(Arguments.of(base, "isSameFile(path, null)", (Case) root -> Files.isSameFile(root.resolve("f"), null)));
            all.add(Arguments.of(base, "isSameFile(null, path)", (Case) root -> Files.isSameFile(null, root.resolve("f"))));
            all.add(Arguments.of(base, "an open with a null option", (Case) root -> {
                Set<OpenOption> options = new HashSet<>();
                options.add(StandardOpenOption.READ);
                options.add(null);
                try (var c = Files.newByteChannel(root.resolve("f"), options)) {
                    return c.size();
                }
            }));
            all.add(Arguments.of(base, "an open with an unknown option, of a file that is not there", (Case) root -> {
                try (var c = Files.newByteChannel(root.resolve("missing"), Set.of(StandardOpenOption.READ, Unknown.OPTION))) {
                    return c.size();
                }
            }));
            all.add(Arguments.of(base, "copy with COPY_ATTRIBUTES keeps permissions and times", (Case) root -> {
                Files.copy(root.resolve("f"), root.resolve("g"), StandardCopyOption.COPY_ATTRIBUTES);
                return PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("g"))) + " "
                        + Files.getLastModifiedTime(root.resolve("g")).toMillis() + " "
                        + Files.getOwner(root.resolve("g")).getName().equals(Files.getOwner(root.resolve("f")).getName());
            }));
            all.add(Arguments.of(base, "a directory filter's IOException comes from the iterator", (Case) root -> {
                DirectoryStream.Filter<Path> failing = p -> {
                    throw new IOException("no");
                };
                try (DirectoryStream<Path> s = Files.newDirectoryStream(root, failing)) {
                    try {
                        s.iterator().hasNext();
                        return "no exception";
                    } catch (DirectoryIteratorException e) {
                        return "DirectoryIteratorException(" + e.getCause().getMessage() + ")";
                    }
                }
            }));
            all.add(Arguments.of(base, "each view is the kind asked for", (Case) root -> {
                Path f = root.resolve("f");
                return Files.getFileAttributeView(f, BasicFileAttributeView.class).name() + " "
                        + (Files.getFileAttributeView(f, BasicFileAttributeView.class) instanceof PosixFileAttributeView) + " "
                        + (Files.getFileAttributeView(f, FileOwnerAttributeView.class) instanceof PosixFileAttributeView) + " "
                        + Files.getFileAttributeView(f, PosixFileAttributeView.class).name() + " "
                        + Files.getFileAttributeView(f, FileOwnerAttributeView.class).name() + " "
                        + new TreeSet<>(Files.readAttributes(f, "*").keySet()) + " "
                        + new TreeSet<>(Files.readAttributes(f, "basic:*").keySet());
            }));
            all.add(Arguments.of(base, "the store claims the views it gives", (Case) root -> {
                Path f = root.resolve("f");
                FileStore store = Files.getFileStore(f);
                Map<String, Class<? extends FileAttributeView>> views = Map.of("basic", BasicFileAttributeView.class,
                        "posix", PosixFileAttributeView.class, "owner", FileOwnerAttributeView.class,
                        "dos", DosFileAttributeView.class, "user", UserDefinedFileAttributeView.class);
                // whether the store's two answers and the view agree (the JDK's on the disk gives dos and user views,
                // which a volume need not: what must hold is that it claims what it gives)
                TreeMap<String, Boolean> agree = new TreeMap<>();
                for (var e : views.entrySet()) {
                    boolean byName = store.supportsFileAttributeView(e.getKey());
                    boolean byType = store.supportsFileAttributeView(e.getValue());
                    boolean given = Files.getFileAttributeView(f, e.getValue()) != null;
                    agree.put(e.getKey(), byName == byType && byType == given);
                }
                return agree;
            }));
            all.add(Arguments.of(base, "delete of a directory that has entries", (Case) root -> {
                Files.writeString(root.resolve("d/x"), "x");
                Files.delete(root.resolve("d"));
                return "deleted";
            }));
            all.add(Arguments.of(base, "createDirectory of a name that exists", (Case) root -> Files.createDirectory(root.resolve("f"))));
            all.add(Arguments.of(base, "readSymbolicLink of a file", (Case) root -> Files.readSymbolicLink(root.resolve("f"))));
            all.add(Arguments.of(base, "a directory stream of a file", (Case) root -> {
                try (DirectoryStream<Path> s = Files.newDirectoryStream(root.resolve("f"))) {
                    return "opened";
                }
            }));
            all.add(Arguments.of(base, "a directory stream's iterator asked twice, and after close", (Case) root -> {
                String twice;
                DirectoryStream<Path> s = Files.newDirectoryStream(root);
                s.iterator();
                try {
                    s.iterator();
                    twice = "second iterator";
                } catch (IllegalStateException e) {
                    twice = "IllegalStateException";
                }
                s.close();
                try {
                    s.iterator();
                    return twice + " / iterator after close";
                } catch (IllegalStateException e) {
                    return twice + " / IllegalStateException";
                }
            }));
            all.add(Arguments.of(base, "a channel's position and truncate below zero", (Case) root -> {
                try (var c = Files.newByteChannel(root.resolve("f"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    String position;
                    try {
                        c.position(-1);
                        position = "moved";
                    } catch (IllegalArgumentException e) {
                        position = "IllegalArgumentException";
                    }
                    try {
                        c.truncate(-1);
                        return position + " / truncated";
                    } catch (IllegalArgumentException e) {
                        return position + " / IllegalArgumentException";
                    }
                }
            }));
            all.add(Arguments.of(base, "reading a channel open for writing only", (Case) root -> {
                try (var c = Files.newByteChannel(root.resolve("f"), StandardOpenOption.WRITE)) {
                    return c.read(java.nio.ByteBuffer.allocate(4));
                }
            }));
            all.add(Arguments.of(base, "writing a channel open for reading only", (Case) root -> {
                try (var c = Files.newByteChannel(root.resolve("f"), StandardOpenOption.READ)) {
                    return c.write(java.nio.ByteBuffer.allocate(4));
                }
            }));
            all.add(Arguments.of(base, "a channel used after close", (Case) root -> {
                var c = Files.newByteChannel(root.resolve("f"), StandardOpenOption.READ);
                c.close();
                return c.size();
            }));
            all.add(Arguments.of(base, "an attribute a view does not have", (Case) root -> Files.getAttribute(root.resolve("f"), "basic:nonsense")));
            all.add(Arguments.of(base, "an attribute of a view there is not", (Case) root -> Files.getAttribute(root.resolve("f"), "nonsense:size")));
            all.add(Arguments.of(base, "setting an attribute that cannot be set", (Case) root -> {
                Files.setAttribute(root.resolve("f"), "basic:size", 1L);
                return "set";
            }));
            all.add(Arguments.of(base, "CREATE_NEW of a file that exists", (Case) root -> {
                try (var c = Files.newByteChannel(root.resolve("f"), StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
                    return "created";
                }
            }));
            all.add(Arguments.of(base, "a moved directory onto one with entries", (Case) root -> {
                Files.createDirectory(root.resolve("e"));
                Files.writeString(root.resolve("d/x"), "x");
                Files.move(root.resolve("e"), root.resolve("d"), StandardCopyOption.REPLACE_EXISTING);
                return "moved";
            }));
            all.add(Arguments.of(base, "checkAccess of a missing file with no modes", (Case) root -> {
                root.getFileSystem().provider().checkAccess(root.resolve("missing"));
                return "accessible";
            }));
            all.add(Arguments.of(base, "an unknown attribute of the store", (Case) root -> Files.getFileStore(root.resolve("f")).getAttribute("nonsense")));
            all.add(Arguments.of(base, "an output stream asked to read", (Case) root -> {
                try (var out = Files.newOutputStream(root.resolve("f"), StandardOpenOption.READ)) {
                    return "opened";
                }
            }));
            all.add(Arguments.of(base, "an input stream asked to write", (Case) root -> {
                try (var in = Files.newInputStream(root.resolve("f"), StandardOpenOption.WRITE)) {
                    return "opened";
                }
            }));
            all.add(Arguments.of(base, "a file and a directory made with permissions", (Case) root -> {
                var attr = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
                Files.createFile(root.resolve("g"), attr);
                Files.createDirectory(root.resolve("e"), attr);
                return PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("g"))) + " "
                        + PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("e")));
            }));
            all.add(Arguments.of(base, "a symbolic link made with attributes", (Case) root -> Files.createSymbolicLink(
                    root.resolve("l"), root.resolve("f"),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")))));
            all.add(Arguments.of(base, "two locks of one range in one process", (Case) root -> {
                try (var c = java.nio.channels.FileChannel.open(root.resolve("f"), StandardOpenOption.READ,
                        StandardOpenOption.WRITE); var lock = c.lock()) {
                    return c.tryLock();
                }
            }));
            all.add(Arguments.of(base, "transferTo from a negative position", (Case) root -> {
                try (var c = java.nio.channels.FileChannel.open(root.resolve("f"), StandardOpenOption.READ)) {
                    return c.transferTo(-1, 4, java.nio.channels.Channels.newChannel(java.io.OutputStream.nullOutputStream()));
                }
            }));
            all.add(Arguments.of(base, "a watch of a file", (Case) root -> {
                try (var w = root.getFileSystem().newWatchService()) {
                    return root.resolve("f").register(w, StandardWatchEventKinds.ENTRY_CREATE);
                }
            }));
            all.add(Arguments.of(base, "a watch of a directory that is not there", (Case) root -> {
                try (var w = root.getFileSystem().newWatchService()) {
                    return root.resolve("missing").register(w, StandardWatchEventKinds.ENTRY_CREATE);
                }
            }));
            all.add(Arguments.of(base, "a watch of no kinds, and of OVERFLOW alone", (Case) root -> {
                try (var w = root.getFileSystem().newWatchService()) {
                    String none = outcome(r -> r.resolve("d").register(w), root);
                    return none + " " + outcome(r -> r.resolve("d").register(w, StandardWatchEventKinds.OVERFLOW), root);
                }
            }));
            all.add(Arguments.of(base, "a watch service used after close", (Case) root -> {
                var w = root.getFileSystem().newWatchService();
                w.close();
                w.close();
                return outcome(r -> r.resolve("d").register(w, StandardWatchEventKinds.ENTRY_CREATE), root) + " "
                        + outcome(r -> w.poll(), root) + " " + outcome(r -> w.take(), root);
            }));
            all.add(Arguments.of(base, "a directory watched twice, then cancelled", (Case) root -> {
                try (var w = root.getFileSystem().newWatchService()) {
                    WatchKey a = root.resolve("d").register(w, StandardWatchEventKinds.ENTRY_CREATE);
                    WatchKey b = root.resolve("d").register(w, StandardWatchEventKinds.ENTRY_DELETE);
                    boolean same = a == b;
                    boolean validBefore = a.isValid();
                    a.cancel();
                    return same + " " + validBefore + " " + a.isValid() + " " + a.reset() + " " + w.poll()
                            + " " + a.watchable().equals(root.resolve("d"));
                }
            }));
            all.add(Arguments.of(base, "the events of a watched directory", (Case) root -> {
                try (var w = root.getFileSystem().newWatchService()) {
                    WatchKey key = root.resolve("d").register(w, StandardWatchEventKinds.ENTRY_CREATE,
                            StandardWatchEventKinds.ENTRY_DELETE);
                    Files.createFile(root.resolve("d/n"));
                    List<String> seen = new ArrayList<>();
                    seen.addAll(events(w, key));
                    Files.delete(root.resolve("d/n"));
                    seen.addAll(events(w, key));
                    return seen + " " + key.isValid();
                }
            }));
            all.add(Arguments.of(base, "a read by an interrupted thread", (Case) root -> {
                var c = java.nio.channels.FileChannel.open(root.resolve("f"), StandardOpenOption.READ);
                try {
                    Thread.currentThread().interrupt();
                    return outcome(r -> c.read(java.nio.ByteBuffer.allocate(4), 0), root) + " open " + c.isOpen()
                            + " interrupted " + Thread.currentThread().isInterrupted();
                } finally {
                    Thread.interrupted();
                    c.close();
                }
            }));
            all.add(Arguments.of(base, "a reader of a file that is not there", (Case) root -> {
                try (var r = Files.newBufferedReader(root.resolve("missing"))) {
                    return r.readLine();
                }
            }));
            all.add(Arguments.of(base, "two attributes of two views by name", (Case) root ->
                    new TreeMap<>(Files.readAttributes(root.resolve("f"), "posix:permissions,size")).toString()));
            all.add(Arguments.of(base, "a modification time set and read back", (Case) root -> {
                Files.setLastModifiedTime(root.resolve("f"), FileTime.fromMillis(1_234_567_890_000L));
                return Files.getLastModifiedTime(root.resolve("f")).toMillis();
            }));
            all.add(Arguments.of(base, "isSameFile of two spellings, of a hard link, of another file", (Case) root -> {
                Files.createLink(root.resolve("g"), root.resolve("f"));
                return Files.isSameFile(root.resolve("f"), root.resolve("d/../f")) + " "
                        + Files.isSameFile(root.resolve("f"), root.resolve("g")) + " "
                        + Files.isSameFile(root.resolve("f"), root.resolve("d"));
            }));
            all.add(Arguments.of(base, "a temporary file in a directory", (Case) root -> {
                Path t = Files.createTempFile(root.resolve("d"), "p", ".s");
                // (not its permissions: the JDK's helper asks for rw------- only on the default file system)
                return t.getParent().equals(root.resolve("d")) + " " + t.getFileName().toString().startsWith("p")
                        + " " + Files.size(t);
            }));
            all.add(Arguments.of(base, "a listing of a file", (Case) root -> {
                try (var l = Files.list(root.resolve("f"))) {
                    return l.count();
                }
            }));
            all.add(Arguments.of(base, "a file moved onto itself, and copied onto itself", (Case) root -> {
                Files.move(root.resolve("f"), root.resolve("f"));
                Files.copy(root.resolve("f"), root.resolve("f"));
                return Files.readString(root.resolve("f"));
            }));
            all.add(Arguments.of(base, "a copy replacing a directory with entries, and an empty one", (Case) root -> {
                Files.writeString(root.resolve("d/x"), "x");
                String full = outcome(r -> Files.copy(r.resolve("f"), r.resolve("d"), StandardCopyOption.REPLACE_EXISTING), root);
                Files.createDirectory(root.resolve("e"));
                Files.copy(root.resolve("f"), root.resolve("e"), StandardCopyOption.REPLACE_EXISTING);
                return full + " " + Files.readString(root.resolve("e"));
            }));
            all.add(Arguments.of(base, "delete and deleteIfExists of a file that is not there", (Case) root ->
                    outcome(r -> { Files.delete(r.resolve("missing")); return "deleted"; }, root) + " "
                            + Files.deleteIfExists(root.resolve("missing"))));
            if (base.equals("disk")) all.add(Arguments.of(base, "createDirectories below a file, and of one that exists", (Case) root ->
                    outcome(r -> Files.createDirectories(r.resolve("f/x/y")), root) + " "
                            + Files.createDirectories(root.resolve("d")).equals(root.resolve("d"))));
            all.add(Arguments.of(base, "an appending output stream", (Case) root -> {
                try (var out = Files.newOutputStream(root.resolve("f"), StandardOpenOption.APPEND)) {
                    out.write("++".getBytes());
                }
                return Files.readString(root.resolve("f"));
            }));
            all.add(Arguments.of(base, "a channel read past the end, and written past it", (Case) root -> {
                try (var c = java.nio.channels.FileChannel.open(root.resolve("f"), StandardOpenOption.READ,
                        StandardOpenOption.WRITE)) {
                    int past = c.position(100).read(java.nio.ByteBuffer.allocate(4));
                    c.write(java.nio.ByteBuffer.wrap(new byte[] {'z'}), 8);
                    java.nio.ByteBuffer all8 = java.nio.ByteBuffer.allocate(16);
                    int n = c.read(all8, 0);
                    return past + " " + c.size() + " " + n + " " + java.util.Arrays.toString(
                            java.util.Arrays.copyOf(all8.array(), n));
                }
            }));
            all.add(Arguments.of(base, "truncate to more than the size, and below the position", (Case) root -> {
                try (var c = java.nio.channels.FileChannel.open(root.resolve("f"), StandardOpenOption.WRITE)) {
                    c.truncate(100);
                    long after = c.size();
                    c.position(3);
                    c.truncate(1);
                    return after + " " + c.size() + " " + c.position();
                }
            }));
            all.add(Arguments.of(base, "locks a channel's mode does not allow", (Case) root -> {
                try (var r = java.nio.channels.FileChannel.open(root.resolve("f"), StandardOpenOption.READ);
                     var w = java.nio.channels.FileChannel.open(root.resolve("d").resolveSibling("f"), StandardOpenOption.WRITE)) {
                    return outcome(x -> r.tryLock(), root) + " " + outcome(x -> w.tryLock(0, 1, true), root);
                }
            }));
            all.add(Arguments.of(base, "transferFrom past the end of the file", (Case) root -> {
                try (var c = java.nio.channels.FileChannel.open(root.resolve("f"), StandardOpenOption.WRITE)) {
                    return c.transferFrom(java.nio.channels.Channels.newChannel(new java.io.ByteArrayInputStream(
                            new byte[] {1, 2})), 100, 2) + " " + c.size();
                }
            }));
            all.add(Arguments.of(base, "an appending channel writes at the end whatever its position", (Case) root -> {
                try (var c = Files.newByteChannel(root.resolve("f"), StandardOpenOption.APPEND)) {
                    c.position(0);
                    c.write(java.nio.ByteBuffer.wrap("!".getBytes()));
                    return c.position() + " " + Files.readString(root.resolve("f"));
                }
            }));
            all.add(Arguments.of(base, "symbolic links: made, read, made again, tested", (Case) root -> {
                Files.createSymbolicLink(root.resolve("l"), root.resolve("f").getFileName());
                String again = outcome(r -> Files.createSymbolicLink(r.resolve("l"), r.resolve("f").getFileName()), root);
                return Files.readSymbolicLink(root.resolve("l")) + " " + again + " " + Files.isSymbolicLink(root.resolve("l"))
                        + " " + Files.isRegularFile(root.resolve("l")) + " "
                        + Files.isRegularFile(root.resolve("l"), java.nio.file.LinkOption.NOFOLLOW_LINKS) + " "
                        + Files.readString(root.resolve("l"));
            }));
            all.add(Arguments.of(base, "a glob listing", (Case) root -> {
                Files.writeString(root.resolve("a.txt"), "a");
                Files.writeString(root.resolve("b.txt"), "b");
                Files.writeString(root.resolve("c.bin"), "c");
                TreeSet<String> names = new TreeSet<>();
                try (DirectoryStream<Path> s = Files.newDirectoryStream(root, "*.txt")) {
                    s.forEach(p -> names.add(p.getFileName().toString()));
                }
                return names;
            }));
            all.add(Arguments.of(base, "walk and find", (Case) root -> {
                Files.writeString(root.resolve("d/x"), "x");
                Files.createDirectory(root.resolve("d/e"));
                Files.writeString(root.resolve("d/e/y"), "y");
                TreeSet<String> walked = new TreeSet<>();
                try (var w = Files.walk(root.resolve("d"))) {
                    w.forEach(p -> walked.add(root.relativize(p).toString()));
                }
                try (var w = Files.walk(root.resolve("d"), 1); var f = Files.find(root, 5,
                        (p, a) -> a.isRegularFile() && p.getFileName().toString().equals("y"))) {
                    return walked + " " + w.count() + " " + f.map(p -> root.relativize(p).toString()).toList();
                }
            }));
            all.add(Arguments.of(base, "a hidden file, and a file's lines", (Case) root -> {
                Files.writeString(root.resolve(".h"), "1\n2\n3");
                try (var lines = Files.lines(root.resolve(".h"))) {
                    return Files.isHidden(root.resolve(".h")) + " " + Files.isHidden(root.resolve("f")) + " " + lines.count();
                }
            }));
            all.add(Arguments.of(base, "a directory moved, and a file moved into it", (Case) root -> {
                Files.move(root.resolve("d"), root.resolve("d2"));
                Files.move(root.resolve("f"), root.resolve("d2/f"));
                return Files.exists(root.resolve("d")) + " " + Files.readString(root.resolve("d2/f")) + " "
                        + Files.exists(root.resolve("f"));
            }));
            all.add(Arguments.of(base, "permissions set through the view and read back", (Case) root -> {
                var v = Files.getFileAttributeView(root.resolve("f"), PosixFileAttributeView.class);
                v.setPermissions(PosixFilePermissions.fromString("r--r--r--"));
                return PosixFilePermissions.toString(v.readAttributes().permissions()) + " "
                        + PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("f")));
            }));
            all.add(Arguments.of(base, "the store is the file's own", (Case) root -> {
                FileStore store = Files.getFileStore(root.resolve("f"));
                return store.type() + " " + store.getTotalSpace() + " " + store.isReadOnly();
            }));
        }
        // each with a pass-through filter (every call through the stack) and with none (the base's own calls)
        return all.stream().flatMap(a -> Stream.of("a filter", "no filter").map(f -> {
            Object[] x = a.get();
            return Arguments.of(x[0], x[1], f, x[2]);
        }));
    }

    @ParameterizedTest(name = "{1} on {0} with {2}")
    @MethodSource("cases")
    void altitudeKeepsTheContractAsTheBaseProviderDoes(String base, String name, String filters, Case c) throws Exception {
        Path[] bases = bases(base, Configuration.unix().toBuilder().setAttributeViews("basic", "owner", "posix", "unix")
                .setWatchServiceConfiguration(com.google.common.jimfs.WatchServiceConfiguration.polling(10,
                        TimeUnit.MILLISECONDS)).build());
        Path rawBase = bases[0];
        Path altBase = bases[1];
        Path jdk = Files.createDirectory(temp.resolve("jdk"));
        for (Path b : List.of(rawBase, altBase, jdk)) {
            Files.writeString(b.resolve("f"), "data");
            Files.setPosixFilePermissions(b.resolve("f"), PosixFilePermissions.fromString("rw-r-----"));
            Files.setLastModifiedTime(b.resolve("f"), FileTime.fromMillis(1_600_000_000_000L));
            Files.createDirectory(b.resolve("d"));
        }
        FilterManager manager = FilterManager.builder().verifier(true).build();
        open.add(manager);
        AltitudeFileSystem fs = AltitudeFileSystemProvider.mount(manager, "contract", altBase);
        open.add(fs);
        if (filters.equals("a filter")) {
            Trace.load(manager, "pass", "370000", false);
        }
        Path reference = name.equals("the store is the file's own") ? rawBase : jdk;
        assertThat(outcome(c, fs.getPath("/"))).as(name).isEqualTo(outcome(c, reference));
    }

    /** The locks this JVM holds are kept per file: files of two jimfs bases, whose keys are alike, lock apart. */
    @org.junit.jupiter.api.Test
    void locksOfFilesOnTwoBasesAreApart() throws Exception {
        FilterManager manager = FilterManager.builder().verifier(true).build();
        open.add(manager);
        List<java.nio.channels.FileChannel> channels = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix());
            open.add(jimfs);
            Path base = Files.createDirectory(jimfs.getPath("/base"));
            Files.writeString(base.resolve("f"), "data");
            AltitudeFileSystem fs = AltitudeFileSystemProvider.mount(manager, "locks" + i, base);
            open.add(fs);
            var c = java.nio.channels.FileChannel.open(fs.getPath("/f"), StandardOpenOption.READ, StandardOpenOption.WRITE);
            open.add(c);
            channels.add(c);
        }
        assertThat(channels.get(0).tryLock()).isNotNull();
        assertThat(channels.get(1).tryLock()).as("another base's file with the same key").isNotNull();
    }

    /** The next signalled key's events, as {@code KIND name count}; the key is reset. (The wait only catches a hang.) */
    static List<String> events(WatchService w, WatchKey expected) throws Exception {
        WatchKey k = w.poll(60, TimeUnit.SECONDS);
        assertThat(k).as("a key signalled within the minute").isSameAs(expected);
        List<String> out = new ArrayList<>();
        for (WatchEvent<?> e : k.pollEvents()) {
            out.add(e.kind().name() + " " + e.context() + " " + e.count());
            assertThat(e.context()).isInstanceOf(Path.class);
            assertThat(((Path) e.context()).getFileSystem()).isSameAs(((Path) k.watchable()).getFileSystem());
        }
        k.reset();
        return out;
    }

    private static String outcome(Case c, Path root) {
        try {
            return String.valueOf(c.run(root));
        } catch (ClassCastException e) {
            throw e; // a defect, not an outcome
        } catch (Exception e) {
            return e.getClass().getSimpleName();
        }
    }
}
