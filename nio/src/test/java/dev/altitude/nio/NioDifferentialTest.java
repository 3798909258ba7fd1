package dev.altitude.nio;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.jimfs.Configuration;
import dev.altitude.core.FilterManager;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same sequences of NIO operations against a raw base directory and against an Altitude volume (with a
 * pass-through filter) over a twin directory give the same results, the same exceptions and the same files,
 * on the real disk and on jimfs. Sequences come from a seeded generator ({@code -Dnio.diff.seeds=N}, 40 by
 * default, 80 operations each) and from hand-written cases.
 */
class NioDifferentialTest extends TwoBases {
    private static final String[] NAMES = {"a", "b", "c", "d0", "d0/a", "d0/b", "d1", "d1/a", "d0/e/x", "s"};
    private static final String[] LINK_TARGETS = {"a", "d0", "d0/a", "missing", "../a", "s"};

    /** One operation, applied the same way under either root. */
    interface Op {
        Object apply(Path root) throws IOException;
    }

    record Named(String text, Op op) {
        @Override
        public String toString() {
            return text;
        }
    }

    static Stream<Arguments> seeds() {
        int n = Integer.getInteger("nio.diff.seeds", 40);
        long first = Long.getLong("nio.diff.seed", 1);
        // with a pass-through filter every call goes through the stack; with none, calls no instance sees are the base's
        return Stream.of("disk", "jimfs").flatMap(kind -> LongStream.range(first, first + n)
                .boxed().flatMap(s -> Stream.of(Arguments.of(kind, s, true), Arguments.of(kind, s, false))));
    }

    @ParameterizedTest(name = "{0} seed {1}, filtered {2}")
    @MethodSource("seeds")
    void randomSequencesGiveTheSameResultsAndFiles(String kind, long seed, boolean filtered) throws Exception {
        Random r = new Random(seed);
        List<Named> ops = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            ops.add(randomOp(r));
        }
        compare(kind, ops, filtered);
    }

    static Stream<Arguments> handWritten() {
        return Stream.of(
                Arguments.of("write, move, read", List.of(write("a", "hello", StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE), move("a", "b"), read("b"), read("a"))),
                Arguments.of("directories: create, list, not empty, delete", List.of(mkdir("d0"), write("d0/a", "x"),
                        list("d0", null), delete("d0"), delete("d0/a"), delete("d0"), list("d0", null))),
                Arguments.of("create new twice, truncate, append", List.of(write("a", "12345", StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE), write("a", "x", StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                        write("a", "y", StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING),
                        write("a", "zz", StandardOpenOption.APPEND), read("a"))),
                Arguments.of("links: symbolic, dangling, loop, hard", List.of(write("a", "A"), symlink("s", "a"), read("s"),
                        readLink("s"), symlink("b", "missing"), read("b"), symlink("c", "c"), read("c"), hardLink("d1", "a"),
                        read("d1"), size("c"))),
                Arguments.of("move onto existing, with replace, atomic", List.of(write("a", "A"), write("b", "B"),
                        move("a", "b"), move("a", "b", StandardCopyOption.REPLACE_EXISTING), read("b"),
                        move("b", "c", StandardCopyOption.ATOMIC_MOVE), read("c"))),
                Arguments.of("copy: missing, existing, replace, directory", List.of(copy("a", "b"), write("a", "A"),
                        write("b", "B"), copy("a", "b"), copy("a", "b", StandardCopyOption.REPLACE_EXISTING), read("b"),
                        mkdir("d0"), copy("d0", "d1"), list("d1", null))),
                Arguments.of("directory as a file and a file as a directory", List.of(mkdir("d0"), read("d0"),
                        write("d0", "x"), write("a", "A"), list("a", null), write("a/b", "x"), mkdir("a/b"))),
                Arguments.of("positional reads and writes past the end", List.of(writeAt("a", 5, "xy"), readAt("a", 0, 10),
                        readAt("a", 20, 4), truncate("a", 3), readAt("a", 0, 10), size("a"))),
                Arguments.of("copy onto itself, directly and through a link", List.of(write("a", "A"), copy("a", "a"),
                        copy("a", "a", StandardCopyOption.REPLACE_EXISTING), symlink("c", "a"), copy("c", "c"),
                        copy("c", "c", StandardCopyOption.REPLACE_EXISTING), copy("b", "b"))),
                Arguments.of("delete on close, glob listing", List.of(mkdir("d0"), write("d0/a", "1"), write("d0/b", "2"),
                        list("d0", "a*"), deleteOnClose("d0/a"), list("d0", null))));
    }

    @ParameterizedTest(name = "{0} on disk")
    @MethodSource("handWritten")
    void handWrittenCasesOnDisk(String name, List<Named> ops) throws Exception {
        compare("disk", ops);
    }

    @ParameterizedTest(name = "{0} on jimfs")
    @MethodSource("handWritten")
    void handWrittenCasesOnJimfs(String name, List<Named> ops) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(name.startsWith("copy onto itself"),
                "jimfs copies a link's target over the link itself; Altitude copies as the JDK's provider does");
        compare("jimfs", ops);
    }

    // ---- the comparison ---------------------------------------------------------------------------------

    private void compare(String kind, List<Named> ops) throws Exception {
        compare(kind, ops, true);
    }

    private void compare(String kind, List<Named> ops, boolean filtered) throws Exception {
        Path[] bases = bases(kind, Configuration.unix());
        Path rawBase = bases[0];
        Path altBase = bases[1];
        FilterManager manager = FilterManager.builder().verifier(true).build();
        open.add(manager);
        AltitudeFileSystem fs = AltitudeFileSystemProvider.mount(manager, "diff", altBase);
        open.add(fs);
        Trace pass = filtered ? Trace.load(manager, "pass", "370000", false) : null;
        Path volumeRoot = fs.getPath("/");
        for (int i = 0; i < ops.size(); i++) {
            Named op = ops.get(i);
            TreeMap<String, String> before = tree(rawBase);
            String raw = outcome(op, rawBase, rawBase.toString());
            String alt = outcome(op, volumeRoot, altBase.toString());
            assertThat(alt).as("operation %d: %s on %s (after %s)", i, op, before, ops.subList(0, i)).isEqualTo(raw);
            assertThat(tree(altBase)).as("files after operation %d: %s (after %s)", i, op, ops.subList(0, i))
                    .isEqualTo(tree(rawBase));
        }
        if (pass != null) {
            assertThat(pass.callbacks.get()).as("the pass-through filter saw the operations").isPositive();
        }
    }

    /**
     * What an operation gave: its value, or its exception's class and the path it names relative to the root.
     * (Not the second path: the JDK names it for some calls and options and not for others, and a volume's
     * open of the source can fail before the call that would name it.)
     */
    private static String outcome(Named op, Path root, String baseString) {
        try {
            return String.valueOf(op.op().apply(root));
        } catch (FileSystemException e) {
            return e.getClass().getSimpleName() + " " + strip(e.getFile(), baseString);
        } catch (IOException | RuntimeException e) {
            return e.getClass().getSimpleName();
        }
    }

    private static String strip(String file, String base) {
        if (file == null) {
            return "-";
        }
        return file.startsWith(base) ? file.substring(base.length()) : file;
    }

    /** The files under a base: relative path → kind and content or link target. */
    private static TreeMap<String, String> tree(Path base) throws IOException {
        TreeMap<String, String> t = new TreeMap<>();
        try (Stream<Path> all = Files.walk(base)) {
            for (Path p : all.toList()) {
                String rel = base.relativize(p).toString();
                if (Files.isSymbolicLink(p)) {
                    t.put(rel, "link " + Files.readSymbolicLink(p));
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    t.put(rel, "dir");
                } else {
                    t.put(rel, "file " + new String(Files.readAllBytes(p), UTF_8));
                }
            }
        }
        return t;
    }

    // ---- the operations ---------------------------------------------------------------------------------

    private static Named randomOp(Random r) {
        String p = NAMES[r.nextInt(NAMES.length)];
        String q = NAMES[r.nextInt(NAMES.length)];
        String data = Integer.toString(r.nextInt(1_000_000), 36);
        return switch (r.nextInt(20)) {
            case 0, 1 -> write(p, data);
            case 2 -> write(p, data, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            case 3 -> write(p, data, StandardOpenOption.APPEND, StandardOpenOption.CREATE);
            case 4 -> write(p, data, r.nextBoolean() ? StandardOpenOption.WRITE : StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE);
            case 5 -> read(p);
            case 6 -> readAt(p, r.nextInt(8), 1 + r.nextInt(6));
            case 7 -> writeAt(p, r.nextInt(10), data);
            case 8 -> delete(p);
            case 9 -> r.nextBoolean() ? mkdir(p) : mkdirs(p);
            case 10 -> switch (r.nextInt(3)) {
                case 0 -> move(p, q);
                case 1 -> move(p, q, StandardCopyOption.REPLACE_EXISTING);
                default -> move(p, q, StandardCopyOption.ATOMIC_MOVE);
            };
            // not a copy onto itself: through a symbolic link jimfs copies the target over the link where the JDK's
            // provider deletes the link and then fails; Altitude copies as the JDK does (see handWrittenCasesOnDisk)
            case 11 -> p.equals(q) ? copy(p, "c") : r.nextBoolean() ? copy(p, q) : copy(p, q, StandardCopyOption.REPLACE_EXISTING);
            case 12 -> list(p, r.nextBoolean() ? null : "*a*");
            case 13 -> size(p);
            case 14 -> kinds(p);
            case 15 -> truncate(p, r.nextInt(6));
            case 16 -> r.nextInt(3) == 0 ? readLink(p) : symlink(p, LINK_TARGETS[r.nextInt(LINK_TARGETS.length)]);
            case 17 -> hardLink(p, q);
            case 18 -> times(p, 1_000_000L * (1 + r.nextInt(1000)));
            default -> r.nextBoolean() ? deleteIfExists(p) : deleteOnClose(p);
        };
    }

    static Named write(String p, String data, OpenOption... options) {
        return new Named("write " + p + " " + List.of(options), root -> {
            Files.writeString(root.resolve(p), data, options);
            return "ok";
        });
    }

    static Named read(String p) {
        return new Named("read " + p, root -> Files.readString(root.resolve(p)));
    }

    static Named readAt(String p, long at, int n) {
        return new Named("readAt " + p + " " + at, root -> {
            try (FileChannel ch = FileChannel.open(root.resolve(p), StandardOpenOption.READ)) {
                ByteBuffer b = ByteBuffer.allocate(n);
                int got = ch.read(b, at);
                return got + " " + new String(b.array(), 0, Math.max(got, 0), UTF_8);
            }
        });
    }

    static Named writeAt(String p, long at, String data) {
        return new Named("writeAt " + p + " " + at, root -> {
            try (FileChannel ch = FileChannel.open(root.resolve(p), StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
                return ch.write(ByteBuffer.wrap(data.getBytes(UTF_8)), at) + " size " + ch.size();
            }
        });
    }

    static Named truncate(String p, long size) {
        return new Named("truncate " + p + " " + size, root -> {
            try (FileChannel ch = FileChannel.open(root.resolve(p), StandardOpenOption.WRITE)) {
                ch.position(ch.size());
                ch.truncate(size);
                return ch.size() + " at " + ch.position();
            }
        });
    }

    static Named delete(String p) {
        return new Named("delete " + p, root -> {
            Files.delete(root.resolve(p));
            return "ok";
        });
    }

    static Named deleteIfExists(String p) {
        return new Named("deleteIfExists " + p, root -> Files.deleteIfExists(root.resolve(p)));
    }

    static Named deleteOnClose(String p) {
        return new Named("deleteOnClose " + p, root -> {
            try (var ch = Files.newByteChannel(root.resolve(p), StandardOpenOption.READ, StandardOpenOption.DELETE_ON_CLOSE)) {
                return ch.size();
            }
        });
    }

    static Named mkdir(String p) {
        return new Named("mkdir " + p, root -> Files.createDirectory(root.resolve(p)).getFileName().toString());
    }

    static Named mkdirs(String p) {
        return new Named("mkdirs " + p, root -> Files.createDirectories(root.resolve(p)).getFileName().toString());
    }

    static Named move(String p, String q, CopyOption... options) {
        return new Named("move " + p + " " + q + " " + List.of(options), root -> {
            Files.move(root.resolve(p), root.resolve(q), options);
            return "ok";
        });
    }

    static Named copy(String p, String q, CopyOption... options) {
        return new Named("copy " + p + " " + q + " " + List.of(options), root -> {
            Files.copy(root.resolve(p), root.resolve(q), options);
            return "ok";
        });
    }

    static Named list(String p, String glob) {
        return new Named("list " + p + " " + glob, root -> {
            List<String> names = new ArrayList<>();
            try (DirectoryStream<Path> ds = glob == null ? Files.newDirectoryStream(root.resolve(p))
                    : Files.newDirectoryStream(root.resolve(p), glob)) {
                for (Path e : ds) {
                    names.add(e.getFileName().toString());
                }
            }
            names.sort(null);
            return names;
        });
    }

    static Named size(String p) {
        return new Named("size " + p, root -> Files.size(root.resolve(p)));
    }

    static Named kinds(String p) {
        return new Named("kinds " + p, root -> {
            Path x = root.resolve(p);
            return List.of(Files.exists(x), Files.notExists(x), Files.isDirectory(x), Files.isRegularFile(x),
                    Files.isSymbolicLink(x), Files.isReadable(x), Files.exists(x, LinkOption.NOFOLLOW_LINKS));
        });
    }

    static Named symlink(String p, String target) {
        return new Named("symlink " + p + " -> " + target, root -> {
            Files.createSymbolicLink(root.resolve(p), root.getFileSystem().getPath(target));
            return "ok";
        });
    }

    static Named readLink(String p) {
        return new Named("readLink " + p, root -> Files.readSymbolicLink(root.resolve(p)).toString());
    }

    static Named hardLink(String p, String existing) {
        return new Named("hardLink " + p + " " + existing, root -> {
            Files.createLink(root.resolve(p), root.resolve(existing));
            return "ok";
        });
    }

    static Named times(String p, long millis) {
        return new Named("times " + p, root -> {
            Files.setLastModifiedTime(root.resolve(p), FileTime.fromMillis(millis));
            return Files.getLastModifiedTime(root.resolve(p)).toMillis()
                    + " " + Files.readAttributes(root.resolve(p), "size,isDirectory,isSymbolicLink", LinkOption.NOFOLLOW_LINKS);
        });
    }

}
