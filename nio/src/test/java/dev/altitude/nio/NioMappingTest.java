package dev.altitude.nio;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.altitude.core.ContextType;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.Instance;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.PreOpStatus;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of NIO call becomes the major functions ARCHITECTURE.md names, in order, with their parameters. */
class NioMappingTest {
    @TempDir
    Path base;
    FilterManager manager;
    AltitudeFileSystem fs;
    Trace trace;

    @BeforeEach
    void mount() throws IOException {
        manager = FilterManager.builder().verifier(true).build();
        fs = AltitudeFileSystemProvider.mount(manager, "vol", base);
        trace = Trace.load(manager, "trace", "370000", true);
    }

    @AfterEach
    void close() {
        fs.close();
        manager.close();
        assertThat(trace.late.get()).isZero();
    }

    @Test
    void aChannelIsOneFileObjectFromCreateToCleanupAndClose() throws IOException {
        Path f = fs.getPath("/f");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ)) {
            assertThat(trace.take()).containsExactly("CREATE /f CREATE");
            ch.write(ByteBuffer.wrap("hello".getBytes(UTF_8)), 0);
            ch.position(1);
            ByteBuffer b = ByteBuffer.allocate(3);
            ch.read(b);
            assertThat(new String(b.array(), UTF_8)).isEqualTo("ell");
            assertThat(trace.take()).containsExactly("WRITE /f", "READ /f");
            ch.force(true);
            assertThat(ch.size()).isEqualTo(5);
            assertThat(trace.take()).containsExactly("FLUSH_BUFFERS /f", "QUERY_INFORMATION /f FileStandardInformation");
            ch.truncate(2);
            assertThat(trace.take()).containsExactly("QUERY_INFORMATION /f FileStandardInformation",
                    "SET_INFORMATION /f FileEndOfFileInformation");
            FileLock lock = ch.lock();
            lock.release();
            assertThat(trace.take()).containsExactly("LOCK_CONTROL /f", "LOCK_CONTROL /f");
        }
        assertThat(trace.take()).containsExactly("CLEANUP /f", "CLOSE /f");
        assertThat(Files.readString(base.resolve("f"))).isEqualTo("he");
    }

    @Test
    void openOptionsBecomeCreateDispositions() throws IOException {
        Files.writeString(fs.getPath("/a"), "x");
        assertThat(trace.take()).startsWith("CREATE /a OVERWRITE_IF").contains("WRITE /a").endsWith("CLEANUP /a", "CLOSE /a");
        FileChannel.open(fs.getPath("/a"), StandardOpenOption.WRITE).close();
        FileChannel.open(fs.getPath("/a"), StandardOpenOption.WRITE, StandardOpenOption.CREATE).close();
        FileChannel.open(fs.getPath("/a"), StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING).close();
        FileChannel.open(fs.getPath("/a"), StandardOpenOption.READ).close();
        assertThat(trace.take()).filteredOn(e -> e.startsWith("CREATE"))
                .containsExactly("CREATE /a OPEN", "CREATE /a OPEN_IF", "CREATE /a OVERWRITE", "CREATE /a OPEN");
    }

    @Test
    void appendWritesAtTheEndAndDeleteOnCloseDeletes() throws IOException {
        Files.writeString(base.resolve("log"), "ab");
        try (FileChannel ch = FileChannel.open(fs.getPath("/log"), StandardOpenOption.APPEND)) {
            trace.take();
            ch.write(ByteBuffer.wrap("cd".getBytes(UTF_8)));
            assertThat(trace.take()).as("an append is one WRITE, nothing more").containsExactly("WRITE /log");
            assertThat(ch.position()).isEqualTo(4);
        }
        assertThat(Files.readString(base.resolve("log"))).isEqualTo("abcd");
        try (FileChannel ch = FileChannel.open(fs.getPath("/tmp"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.DELETE_ON_CLOSE, StandardOpenOption.SYNC, StandardOpenOption.DSYNC)) {
            assertThat(ch.write(ByteBuffer.wrap(new byte[10]))).isEqualTo(10);
        }
        assertThat(base.resolve("tmp")).doesNotExist();
    }

    @Test
    void attributesAreQueryAndSetInformationOwnerAndPermissionsAreSecurity() throws IOException {
        Path f = fs.getPath("/f");
        Files.writeString(base.resolve("f"), "12345");
        BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
        assertThat(a.size()).isEqualTo(5);
        assertThat(trace.take()).as("a query by name, every instance having a callback for it")
                .containsExactly("QUERY_OPEN /f FileBasicInformation");
        Files.setLastModifiedTime(f, FileTime.fromMillis(1_000_000));
        assertThat(trace.take()).containsExactly("CREATE /f OPEN", "SET_INFORMATION /f FileBasicInformation",
                "CLEANUP /f", "CLOSE /f");
        assertThat(Files.getLastModifiedTime(base.resolve("f")).toMillis()).isEqualTo(1_000_000);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
        Files.setOwner(f, Files.getOwner(f));
        assertThat(trace.take()).filteredOn(e -> !e.startsWith("CREATE") && !e.startsWith("CL"))
                .containsExactly("SET_SECURITY /f", "QUERY_OPEN /f FileAllInformation", "SET_SECURITY /f");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(base.resolve("f")))).isEqualTo("rw-r-----");
        assertThat(Files.readAttributes(f, "posix:size,permissions")).containsEntry("size", 5L);
    }

    /** A filter with callbacks for opens and queries but none for QUERY_OPEN: {@code opens} counts its CREATEs. */
    private static java.util.concurrent.atomic.AtomicInteger loadOpenWatcher(FilterManager manager, String name,
                                                                              String altitude) {
        java.util.concurrent.atomic.AtomicInteger opens = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<dev.altitude.core.Filter> self = new java.util.concurrent.atomic.AtomicReference<>();
        manager.registerDriver(name, () -> (mgr, config) -> {
            dev.altitude.core.Filter f = mgr.registerFilter(dev.altitude.core.FilterRegistration.builder(name)
                    .altitude(altitude).onInstanceQueryTeardown(objects -> NtStatus.SUCCESS)
                    .onUnload(flags -> {
                        self.get().unregister();
                        return NtStatus.SUCCESS;
                    })
                    .onPreOperation(MajorFunction.CREATE, (data, objects) -> {
                        opens.incrementAndGet();
                        return PreOpStatus.SUCCESS_NO_CALLBACK;
                    }).build());
            self.set(f);
            return f.startFiltering();
        });
        assertThat(manager.loadFilter(name)).isEqualTo(NtStatus.SUCCESS);
        return opens;
    }

    @Test
    void aQueryByNameIsOneQueryOpenUnlessAnInstanceThatSeesOpensHasNoCallbackForIt() throws IOException {
        Files.writeString(base.resolve("q"), "12345");
        Path q = fs.getPath("/q");
        assertThat(Files.exists(q)).isTrue();
        assertThat(Files.isRegularFile(q)).isTrue();
        assertThat(Files.size(q)).isEqualTo(5);
        assertThat(Files.exists(fs.getPath("/none"))).isFalse();
        assertThat(trace.take()).containsExactly("QUERY_OPEN /q FileStandardInformation", "QUERY_OPEN /q FileBasicInformation",
                "QUERY_OPEN /q FileBasicInformation", "QUERY_OPEN /none FileStandardInformation");
        assertThat(fs.volume().queriesByName()).isTrue();
        java.util.concurrent.atomic.AtomicInteger opens = loadOpenWatcher(manager, "opens", "360000");
        assertThat(fs.volume().queriesByName()).isFalse();
        assertThat(Files.size(q)).isEqualTo(5);
        assertThat(trace.take()).as("the open, the query and the close, as that instance registered for")
                .containsExactly("CREATE /q OPEN", "QUERY_INFORMATION /q FileBasicInformation", "CLEANUP /q", "CLOSE /q");
        assertThat(opens.get()).isEqualTo(1);
        assertThat(manager.unloadFilter("opens", dev.altitude.core.UnloadMode.MANDATORY)).isEqualTo(NtStatus.SUCCESS);
        assertThat(fs.volume().queriesByName()).isTrue();
        assertThat(Files.size(q)).isEqualTo(5);
        assertThat(trace.take()).containsExactly("QUERY_OPEN /q FileBasicInformation");
    }

    @ParameterizedTest(name = "disallowed in the {0}-operation")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"pre", "post"})
    void aQueryOpenAnInstanceDisallowsBecomesTheOpenTheQueryAndTheClose(String where) throws IOException {
        Files.writeString(base.resolve("d"), "123");
        java.util.List<String> belowSaw = new java.util.concurrent.CopyOnWriteArrayList<>();
        manager.registerDriver("gate", () -> (mgr, config) -> {
            var b = dev.altitude.core.FilterRegistration.builder("gate").altitude("350000")
                    .onInstanceQueryTeardown(objects -> NtStatus.SUCCESS)
                    .onPreOperation(MajorFunction.CREATE, (data, objects) -> {
                        belowSaw.add("CREATE");
                        return PreOpStatus.SUCCESS_NO_CALLBACK;
                    });
            if (where.equals("pre")) {
                b.onPreOperation(MajorFunction.QUERY_OPEN, (data, objects) -> PreOpStatus.DISALLOW_FSFILTER_IO);
            } else {
                b.onOperation(MajorFunction.QUERY_OPEN, (data, objects) -> PreOpStatus.SUCCESS_WITH_CALLBACK,
                        (data, objects, ctx, draining) -> {
                            belowSaw.add("post QUERY_OPEN " + data.status().name());
                            return dev.altitude.core.PostOpStatus.DISALLOW_FSFILTER_IO;
                        });
            }
            dev.altitude.core.Filter f = mgr.registerFilter(b.build());
            return f.startFiltering();
        });
        assertThat(manager.loadFilter("gate")).isEqualTo(NtStatus.SUCCESS);
        assertThat(fs.volume().queriesByName()).isTrue();
        assertThat(Files.readAttributes(fs.getPath("/d"), BasicFileAttributes.class).size()).isEqualTo(3);
        assertThat(trace.take()).as("the trace, above the gate, sees the refused query and then the open")
                .containsExactly("QUERY_OPEN /d FileBasicInformation", "CREATE /d OPEN",
                        "QUERY_INFORMATION /d FileBasicInformation", "CLEANUP /d", "CLOSE /d");
        assertThat(belowSaw).containsExactlyElementsOf(where.equals("pre") ? List.of("CREATE")
                : List.of("post QUERY_OPEN STATUS_SUCCESS", "CREATE"));
    }

    @Test
    void deleteMoveAndLinksAreSetInformationAndCreates() throws IOException {
        Files.writeString(base.resolve("a"), "A");
        Files.move(fs.getPath("/a"), fs.getPath("/b"));
        assertThat(trace.take()).containsExactly("CREATE /a OPEN", "SET_INFORMATION /a FileRenameInformation",
                "CLEANUP /a", "CLOSE /a");
        Files.writeString(base.resolve("c"), "C");
        Files.move(fs.getPath("/b"), fs.getPath("/c"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        assertThat(trace.take()).contains("SET_INFORMATION /b FileRenameInformationEx");
        assertThat(Files.readString(base.resolve("c"))).isEqualTo("A");
        Files.createSymbolicLink(fs.getPath("/s"), fs.getPath("c"));
        assertThat(Files.readSymbolicLink(fs.getPath("/s"))).isEqualTo(fs.getPath("c"));
        Files.createLink(fs.getPath("/h"), fs.getPath("/c"));
        assertThat(trace.take()).containsExactly("CREATE /s CREATE", "CLEANUP /s", "CLOSE /s",
                "CREATE /s OPEN", "FILE_SYSTEM_CONTROL /s", "CLEANUP /s", "CLOSE /s",
                "CREATE /h CREATE", "CLEANUP /h", "CLOSE /h");
        assertThat(Files.readString(fs.getPath("/s"))).isEqualTo("A");
        assertThat(Files.isSameFile(fs.getPath("/h"), fs.getPath("/c"))).isTrue(); // as the JDK: one file, two names
        trace.take();
        Files.delete(fs.getPath("/h"));
        assertThat(trace.take()).containsExactly("CREATE /h OPEN", "SET_INFORMATION /h FileDispositionInformation",
                "CLEANUP /h", "CLOSE /h");
        assertThat(base.resolve("h")).doesNotExist();
    }

    @Test
    void directoriesAreCreatesAndGlobListingsCarryTheirPattern() throws IOException {
        Files.createDirectory(fs.getPath("/d"));
        assertThat(trace.take()).containsExactly("CREATE /d CREATE", "CLEANUP /d", "CLOSE /d");
        Files.writeString(base.resolve("d/x.txt"), "");
        Files.writeString(base.resolve("d/y.bin"), "");
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(fs.getPath("/d"), "*.txt")) {
            ds.forEach(p -> names.add(p.toString()));
        }
        assertThat(names).containsExactly("/d/x.txt");
        assertThat(trace.take()).containsExactly("CREATE /d OPEN", "DIRECTORY_CONTROL /d *.txt", "CLEANUP /d", "CLOSE /d");
        fs.getPathMatcher("glob:*.txt"); // a matcher for the caller's own use must not narrow the next listing
        try (var s = Files.list(fs.getPath("/d"))) {
            assertThat(s.map(Path::toString).sorted()).containsExactly("/d/x.txt", "/d/y.bin");
        }
        assertThat(trace.take()).contains("DIRECTORY_CONTROL /d");
    }

    @Test
    void fileStoreIsVolumeInformation() throws IOException {
        FileStore store = Files.getFileStore(fs.getPath("/"));
        assertThat(store.getTotalSpace()).isEqualTo(Files.getFileStore(base).getTotalSpace());
        assertThat(trace.take()).containsExactly("CREATE / OPEN", "QUERY_VOLUME_INFORMATION /", "CLEANUP /", "CLOSE /");
    }

    @Test
    void copyIsSeenAsTheSourceReadAndTheTargetWritten() throws IOException {
        Files.writeString(base.resolve("src"), "data");
        Files.copy(fs.getPath("/src"), fs.getPath("/dst"));
        List<String> e = trace.take();
        assertThat(e).contains("READ /src", "CREATE /dst CREATE", "WRITE /dst");
        assertThat(Files.readString(base.resolve("dst"))).isEqualTo("data");
    }

    /** With COPY_ATTRIBUTES the new file's owner, mode and times are set on its own handle, as the JDK's fchown, fchmod, futimens. */
    @Test
    void aCopyWithItsAttributesSetsThemOnTheNewFilesHandle() throws IOException {
        Files.writeString(base.resolve("src"), "data");
        Files.setPosixFilePermissions(base.resolve("src"), PosixFilePermissions.fromString("r-x------"));
        Files.setLastModifiedTime(base.resolve("src"), FileTime.fromMillis(1_500_000_000_000L));
        trace.take();
        Files.copy(fs.getPath("/src"), fs.getPath("/dst"), StandardCopyOption.COPY_ATTRIBUTES);
        List<String> dst = trace.take().stream().filter(l -> l.contains("/dst")).toList();
        assertThat(dst).containsExactly("QUERY_OPEN /dst FileBasicInformation", "CREATE /dst CREATE", "WRITE /dst", "SET_SECURITY /dst", "SET_SECURITY /dst",
                "SET_INFORMATION /dst FileBasicInformation", "CLEANUP /dst", "CLOSE /dst");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(base.resolve("dst")))).isEqualTo("r-x------");
        assertThat(Files.getLastModifiedTime(base.resolve("dst")).toMillis()).isEqualTo(1_500_000_000_000L);
    }

    @Test
    void pathsBehaveLikeTheBaseOnesAndUrisRoundTrip() throws IOException {
        Path p = fs.getPath("/a/b/../c");
        assertThat(p.normalize()).isEqualTo(fs.getPath("/a/c"));
        assertThat(fs.getPath("/a").resolve("b")).isEqualTo(fs.getPath("/a/b"));
        assertThat(fs.getPath("/a").relativize(fs.getPath("/a/b/c"))).isEqualTo(fs.getPath("b/c"));
        assertThat(fs.getPath("x").toAbsolutePath()).isEqualTo(fs.getPath("/x"));
        URI uri = fs.getPath("/dir with space/f").toUri();
        assertThat(uri.toString()).isEqualTo("altitude://vol/dir%20with%20space/f");
        assertThat(Path.of(uri)).isEqualTo(fs.getPath("/dir with space/f"));
        Files.createDirectories(fs.getPath("/r/s"));
        Files.createSymbolicLink(fs.getPath("/link"), fs.getPath("r/s"));
        assertThat(fs.getPath("/link").toRealPath()).isEqualTo(fs.getPath("/r/s"));
        assertThat(fs.getPath("/../../etc").normalize()).isEqualTo(fs.getPath("/etc"));
        assertThat(Files.exists(fs.getPath("/../../etc/passwd"))).isFalse(); // ".." cannot leave the base
    }

    @Test
    void aFileSystemMadeFromAUriIsTheSameKindOfVolume() throws IOException {
        Files.writeString(base.resolve("u"), "via uri");
        try (FileSystem byUri = FileSystems.newFileSystem(URI.create("altitude://other"),
                Map.of("base", base, "manager", manager))) {
            assertThat(Files.readString(byUri.getPath("/u"))).isEqualTo("via uri");
            assertThat(manager.volume("other")).isPresent();
            assertThat(FileSystems.getFileSystem(URI.create("altitude://other"))).isSameAs(byUri);
            assertThat(trace.take()).contains("READ /u");
        }
        assertThat(manager.volume("other")).isEmpty();
    }

    @Test
    void mapIsRefusedWhileReadsOrWritesAreFilteredAndAllowedWithoutSuchFilters() throws IOException {
        Files.writeString(base.resolve("m"), "mapped");
        try (FileChannel ch = FileChannel.open(fs.getPath("/m"), StandardOpenOption.READ)) {
            assertThatThrownBy(() -> ch.map(FileChannel.MapMode.READ_ONLY, 0, 6))
                    .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("cannot be filtered")
                    .hasMessageContaining("instance 'trace Instance'").hasMessageContaining("SKIP_PAGING_IO");
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                assertThatThrownBy(() -> ch.map(FileChannel.MapMode.READ_ONLY, 0, 6, arena))
                        .as("the JDK 22+ form, under the same rule").isInstanceOf(UnsupportedOperationException.class)
                        .hasMessageContaining("instance 'trace Instance'");
            }
        }
        assertThat(manager.unloadFilter("trace")).isEqualTo(NtStatus.SUCCESS);
        try (FileChannel ch = FileChannel.open(fs.getPath("/m"), StandardOpenOption.READ)) {
            var buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, 6);
            byte[] b = new byte[6];
            buf.get(b);
            assertThat(new String(b, UTF_8)).isEqualTo("mapped");
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                var segment = ch.map(FileChannel.MapMode.READ_ONLY, 0, 6, arena);
                assertThat(new String(segment.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), UTF_8)).isEqualTo("mapped");
            }
        }
    }

    /** A filter of reads that skips paging I/O lets a file be mapped: its pages are paging I/O, as on Windows. */
    @Test
    void mapIsAllowedWhenEveryReadOrWriteFilterSkipsPagingIo() throws IOException {
        assertThat(manager.unloadFilter("trace")).isEqualTo(NtStatus.SUCCESS);
        manager.registerDriver("pagingSkipper", () -> (mgr, config) -> {
            dev.altitude.core.Filter[] f = new dev.altitude.core.Filter[1];
            f[0] = mgr.registerFilter(dev.altitude.core.FilterRegistration.builder("pagingSkipper").altitude("360000")
                    .onUnload(flags -> {
                        f[0].unregister();
                        return NtStatus.SUCCESS;
                    })
                    .onPreOperation(MajorFunction.READ, (data, objects) -> dev.altitude.core.PreOpStatus.SUCCESS_NO_CALLBACK,
                            dev.altitude.core.OperationFlag.SKIP_PAGING_IO)
                    .build());
            return f[0].startFiltering();
        });
        assertThat(manager.loadFilter("pagingSkipper")).isEqualTo(NtStatus.SUCCESS);
        Files.writeString(base.resolve("m"), "mapped");
        try (FileChannel ch = FileChannel.open(fs.getPath("/m"), StandardOpenOption.READ)) {
            var buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, 6);
            byte[] b = new byte[6];
            buf.get(b);
            assertThat(new String(b, UTF_8)).isEqualTo("mapped");
        }
    }

    /**
     * A mapping is {@code ACQUIRE_FOR_SECTION_SYNCHRONIZATION} through the filters, with its protection, offset and
     * size, before the base maps anything: an on-access scanner refuses the mapping of a file it has not scanned
     * (both {@code map} forms), and one it lets pass is mapped on the base file.
     */
    @Test
    void mapIsAnAcquireForSectionSynchronizationAFilterMayRefuse() throws IOException {
        assertThat(manager.unloadFilter("trace")).isEqualTo(NtStatus.SUCCESS);
        List<IoParametersSeen> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        OneFilter.load(manager, "mapGate", "360000", b -> b
                .onPreOperation(MajorFunction.ACQUIRE_FOR_SECTION_SYNCHRONIZATION, (data, objects) -> {
                    var a = (dev.altitude.core.IoParameters.AcquireForSectionSynchronization) data.parameters();
                    seen.add(new IoParametersSeen(data.fileObject().path(), a.protection(), a.offset(), a.size()));
                    if (data.fileObject().path().endsWith("unscanned")) {
                        data.complete(NtStatus.ACCESS_DENIED, 0);
                        return PreOpStatus.COMPLETE;
                    }
                    return PreOpStatus.SUCCESS_NO_CALLBACK;
                }));
        Files.writeString(base.resolve("unscanned"), "secret");
        Files.writeString(base.resolve("scanned"), "mapped");
        try (FileChannel ch = FileChannel.open(fs.getPath("/unscanned"), StandardOpenOption.READ)) {
            assertThatThrownBy(() -> ch.map(FileChannel.MapMode.READ_ONLY, 0, 6))
                    .isInstanceOf(java.nio.file.AccessDeniedException.class).hasMessageContaining("/unscanned");
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                assertThatThrownBy(() -> ch.map(FileChannel.MapMode.READ_ONLY, 2, 4, arena))
                        .isInstanceOf(java.nio.file.AccessDeniedException.class);
            }
            assertThatThrownBy(() -> ch.map(FileChannel.MapMode.READ_WRITE, 0, 6))
                    .as("the JDK's own check comes first: no operation for a mapping the channel cannot make")
                    .isInstanceOf(java.nio.channels.NonWritableChannelException.class);
        }
        try (FileChannel ch = FileChannel.open(fs.getPath("/scanned"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            var buf = ch.map(FileChannel.MapMode.READ_WRITE, 0, 6);
            buf.put(0, (byte) 'M');
            buf.force();
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                var segment = ch.map(FileChannel.MapMode.PRIVATE, 1, 5, arena);
                assertThat(new String(segment.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), UTF_8)).isEqualTo("apped");
            }
        }
        assertThat(Files.readString(base.resolve("scanned"))).isEqualTo("Mapped");
        assertThat(seen).containsExactly(
                new IoParametersSeen("/unscanned", dev.altitude.core.IoParameters.PageProtection.READONLY, 0, 6),
                new IoParametersSeen("/unscanned", dev.altitude.core.IoParameters.PageProtection.READONLY, 2, 4),
                new IoParametersSeen("/scanned", dev.altitude.core.IoParameters.PageProtection.READWRITE, 0, 6),
                new IoParametersSeen("/scanned", dev.altitude.core.IoParameters.PageProtection.WRITECOPY, 1, 5));
    }

    record IoParametersSeen(String file, dev.altitude.core.IoParameters.PageProtection protection, long offset, long size) {
    }

    /**
     * A call whose operations no attached instance has a callback for is the base's own call; one with an operation an
     * instance filters goes through the stack, all of it. Counted by a filter of QUERY_INFORMATION alone.
     */
    @Test
    void aCallNoInstanceWouldSeeIsTheBaseCallAndOneItWouldSeeGoesThroughTheStack() throws IOException {
        assertThat(manager.unloadFilter("trace")).isEqualTo(NtStatus.SUCCESS);
        Files.writeString(base.resolve("f"), "x");
        Files.createDirectory(base.resolve("d"));
        Files.writeString(base.resolve("d/e"), "y");
        java.util.concurrent.atomic.AtomicInteger queries = new java.util.concurrent.atomic.AtomicInteger();
        assertThat(fs.volume().isFilteredAny(MajorFunction.QUERY_INFORMATION.bit())).isFalse();
        OneFilter.load(manager, "queries", "360000", b -> b
                .onPreOperation(MajorFunction.QUERY_INFORMATION, (data, objects) -> {
                    queries.incrementAndGet();
                    return PreOpStatus.SUCCESS_NO_CALLBACK;
                }));
        assertThat(fs.volume().isFilteredAny(MajorFunction.QUERY_INFORMATION.bit() | MajorFunction.READ.bit())).isTrue();
        assertThat(fs.volume().isFilteredAny(MajorFunction.READ.bit() | MajorFunction.CREATE.bit())).isFalse();
        assertThat(Files.exists(fs.getPath("/f"))).isTrue();
        assertThat(Files.readAttributes(fs.getPath("/f"), BasicFileAttributes.class).size()).isEqualTo(1);
        assertThat(Files.isDirectory(fs.getPath("/d"))).isTrue();
        assertThat(queries.get()).as("exists, readAttributes, isDirectory each query through the stack").isEqualTo(3);
        try (DirectoryStream<Path> s = Files.newDirectoryStream(fs.getPath("/d"))) {
            assertThat(s).containsExactly(fs.getPath("/d/e"));
        }
        assertThat(queries.get()).as("a listing makes no query: the base's own").isEqualTo(3);
        assertThat(manager.unloadFilter("queries")).isEqualTo(NtStatus.SUCCESS);
        assertThat(fs.volume().isFilteredAny(MajorFunction.QUERY_INFORMATION.bit())).isFalse();
        assertThat(Files.exists(fs.getPath("/f"))).isTrue();
        assertThat(Files.exists(fs.getPath("/missing"))).isFalse();
        assertThatThrownBy(() -> Files.readAttributes(fs.getPath("/missing"), BasicFileAttributes.class))
                .isInstanceOf(java.nio.file.NoSuchFileException.class).hasMessage("/missing");
        assertThat(queries.get()).isEqualTo(3);
    }

    @Test
    void eachChannelIsAStreamHandleAndEachFileOneStream() throws IOException {
        Map<String, Object> streamCtx = new ConcurrentHashMap<>();
        List<Object> handleCtx = new ArrayList<>();
        Filter[] f = new Filter[1];
        manager.registerDriver("ctx", () -> (mgr, config) -> {
            f[0] = mgr.registerFilter(FilterRegistration.builder("ctx").altitude("360000")
                    .context(ContextType.STREAM, (v, t) -> { })
                    .context(ContextType.STREAM_HANDLE, (v, t) -> { })
                    .onPostOperation(MajorFunction.CREATE, (data, objects, c, draining) -> {
                        if (!draining && data.status().isSuccess()) {
                            Instance in = objects.instance();
                            try (var s = f[0].allocateContext(ContextType.STREAM, new Object());
                                 var h = f[0].allocateContext(ContextType.STREAM_HANDLE, new Object())) {
                                var r = in.setContext(ContextType.STREAM, data.fileObject(), s, Instance.SetMode.KEEP_IF_EXISTS);
                                if (r.existing() != null) {
                                    r.existing().close();
                                }
                                in.setContext(ContextType.STREAM_HANDLE, data.fileObject(), h, Instance.SetMode.KEEP_IF_EXISTS);
                            }
                        }
                        return PostOpStatus.FINISHED_PROCESSING;
                    })
                    .onPreOperation(MajorFunction.READ, (data, objects) -> {
                        Instance in = objects.instance();
                        in.<Object>getContext(ContextType.STREAM, data.fileObject()).ifPresent(c -> {
                            streamCtx.put(data.fileObject().path() + "#" + data.fileObject().id(), c.value());
                            c.close();
                        });
                        in.<Object>getContext(ContextType.STREAM_HANDLE, data.fileObject()).ifPresent(c -> {
                            synchronized (handleCtx) {
                                handleCtx.add(c.value());
                            }
                            c.close();
                        });
                        return PreOpStatus.SUCCESS_NO_CALLBACK;
                    })
                    .onUnload(flags -> {
                        f[0].unregister();
                        return NtStatus.SUCCESS;
                    }).build());
            return f[0].startFiltering();
        });
        assertThat(manager.loadFilter("ctx")).isEqualTo(NtStatus.SUCCESS);
        Files.writeString(base.resolve("one"), "1");
        Files.writeString(base.resolve("two"), "2");
        try (FileChannel a = FileChannel.open(fs.getPath("/one"));
             FileChannel b = FileChannel.open(fs.getPath("/one"));
             FileChannel c = FileChannel.open(fs.getPath("/two"))) {
            for (FileChannel ch : List.of(a, b, c)) {
                ch.read(ByteBuffer.allocate(1), 0);
            }
        }
        assertThat(handleCtx).hasSize(3).doesNotHaveDuplicates();
        assertThat(streamCtx).hasSize(3);
        assertThat(Set.copyOf(streamCtx.values())).hasSize(2); // /one twice with one stream context, /two once
        assertThat(manager.unloadFilter("ctx")).isEqualTo(NtStatus.SUCCESS);
    }
}
