package dev.altitude.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.WatchServiceConfiguration;
import dev.altitude.core.FilterManager;
import dev.altitude.core.IoParameters;
import dev.altitude.core.IoResult;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.PreOpStatus;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A watch service of a volume is change notification as Windows has it: registering is a {@code DIRECTORY_CONTROL}
 * through the filters, and each batch of the base's events passes the post-operations before it reaches the key.
 */
class NioWatchTest extends TwoBases {
    static final Configuration JIMFS = Configuration.unix().toBuilder()
            .setWatchServiceConfiguration(WatchServiceConfiguration.polling(10, TimeUnit.MILLISECONDS)).build();

    FilterManager manager;
    AltitudeFileSystem fs;

    private AltitudeFileSystem mount(String kind) throws Exception {
        manager = FilterManager.builder().verifier(true).build();
        open.add(manager);
        fs = AltitudeFileSystemProvider.mount(manager, "watched", bases(kind, JIMFS)[1]);
        open.add(fs);
        return fs;
    }

    /** Hides every name that starts with "hidden" from listings and from change notifications alike. */
    static final class Hider {
        final AtomicInteger hiddenEvents = new AtomicInteger();
        final AtomicInteger notifications = new AtomicInteger();

        void load(FilterManager manager) {
            OneFilter.load(manager, "hider", "360000", b -> b
                    .onOperation(MajorFunction.DIRECTORY_CONTROL, (data, objects) -> PreOpStatus.SUCCESS_WITH_CALLBACK,
                            (data, objects, context, draining) -> {
                                if (draining) {
                                    return PostOpStatus.FINISHED_PROCESSING;
                                }
                                switch (data.result()) {
                                    case IoResult.DirectoryListing l -> data.setResult(new IoResult.DirectoryListing(
                                            l.entries().stream().filter(e -> !e.name().startsWith("hidden")).toList()));
                                    case IoResult.DirectoryChanges c -> {
                                        notifications.incrementAndGet();
                                        List<IoResult.DirectoryChange> shown = c.changes().stream()
                                                .filter(e -> !e.name().startsWith("hidden")).toList();
                                        hiddenEvents.addAndGet(c.changes().size() - shown.size());
                                        data.setResult(new IoResult.DirectoryChanges(shown));
                                    }
                                    case null, default -> { }
                                }
                                return PostOpStatus.FINISHED_PROCESSING;
                            }));
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = {"disk", "jimfs"})
    void aFilterThatHidesANameHidesItFromListingsAndFromEvents(String kind) throws Exception {
        mount(kind);
        Hider hider = new Hider();
        hider.load(manager);
        Path dir = Files.createDirectory(fs.getPath("/d"));
        WatchService w = fs.newWatchService();
        open.add(w);
        WatchKey key = dir.register(w, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE);
        // the hidden name first: the base reports in order, so once the shown one's event is here, the other's came by
        Files.writeString(dir.resolve("hidden.txt"), "h");
        Files.writeString(dir.resolve("shown.txt"), "s");
        List<String> seen = new ArrayList<>();
        while (!seen.contains("ENTRY_CREATE shown.txt 1")) {
            seen.addAll(NioContractTest.events(w, key));
        }
        assertThat(seen).containsExactly("ENTRY_CREATE shown.txt 1");
        assertThat(hider.hiddenEvents.get()).as("the hidden name's events reached the filter, and went no further")
                .isPositive();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            List<String> names = new ArrayList<>();
            s.forEach(p -> names.add(p.getFileName().toString()));
            assertThat(names).containsExactly("shown.txt");
        }
        Files.delete(dir.resolve("hidden.txt"));
        Files.delete(dir.resolve("shown.txt"));
        seen.clear();
        while (!seen.contains("ENTRY_DELETE shown.txt 1")) {
            seen.addAll(NioContractTest.events(w, key));
        }
        assertThat(seen).containsExactly("ENTRY_DELETE shown.txt 1");
        assertThat(hider.hiddenEvents.get()).isGreaterThanOrEqualTo(2);
    }

    /** Each registration and each batch is one operation on the directory's handle, which the key holds open. */
    @Test
    void aWatchIsAnOperationOnItsDirectoryAndEachBatchAnother() throws Exception {
        mount("disk");
        Trace trace = Trace.load(manager, "trace", "370000", true);
        Path dir = Files.createDirectory(fs.getPath("/d"));
        trace.take();
        WatchService w = fs.newWatchService();
        WatchKey key = dir.register(w, StandardWatchEventKinds.ENTRY_CREATE);
        assertThat(trace.take()).containsExactly("CREATE /d OPEN", "DIRECTORY_CONTROL /d");
        Files.createFile(dir.resolve("a"));
        assertThat(NioContractTest.events(w, key)).containsExactly("ENTRY_CREATE a 1");
        assertThat(trace.take()).contains("DIRECTORY_CONTROL /d");
        w.close();
        assertThat(key.isValid()).isFalse();
        assertThat(trace.take()).containsExactly("CLEANUP /d", "CLOSE /d");
        assertThat(trace.late.get()).isZero();
    }

    @Test
    void aFilterMayRefuseAWatch() throws Exception {
        mount("disk");
        OneFilter.load(manager, "refuser", "360000", b -> b
                .onPreOperation(MajorFunction.DIRECTORY_CONTROL, (data, objects) -> {
                    if (data.parameters() instanceof IoParameters.NotifyChangeDirectory) {
                        data.complete(NtStatus.ACCESS_DENIED, 0);
                        return PreOpStatus.COMPLETE;
                    }
                    return PreOpStatus.SUCCESS_NO_CALLBACK;
                }));
        Path dir = Files.createDirectory(fs.getPath("/d"));
        try (WatchService w = fs.newWatchService()) {
            assertThatThrownBy(() -> dir.register(w, StandardWatchEventKinds.ENTRY_CREATE))
                    .isInstanceOf(AccessDeniedException.class).hasMessageContaining("/d");
            assertThat(manager.unloadFilter("refuser")).isEqualTo(NtStatus.SUCCESS);
            WatchKey key = dir.register(w, StandardWatchEventKinds.ENTRY_CREATE);
            Files.createFile(dir.resolve("a"));
            assertThat(NioContractTest.events(w, key)).containsExactly("ENTRY_CREATE a 1");
        }
    }

    /** The watched directory removed: its key is signalled and no longer valid, as the JDK's. */
    @Test
    void aKeyWhoseDirectoryIsRemovedIsSignalledAndInvalid() throws Exception {
        mount("disk");
        Trace trace = Trace.load(manager, "trace", "370000", true);
        Path dir = Files.createDirectory(fs.getPath("/d"));
        try (WatchService w = fs.newWatchService()) {
            WatchKey key = dir.register(w, StandardWatchEventKinds.ENTRY_CREATE);
            trace.take();
            Files.delete(dir);
            WatchKey k = w.poll(60, TimeUnit.SECONDS);
            assertThat(k).isSameAs(key);
            assertThat(k.isValid()).isFalse();
            assertThat(k.reset()).isFalse();
            assertThat(trace.take()).as("the handle was closed through the filters").contains("CLEANUP /d", "CLOSE /d");
        }
    }

    /** A filter unloaded while a directory is watched: the watch goes on through the rest, and nothing calls it late. */
    @Test
    void aWatchOutlivesTheUnloadOfAFilter() throws Exception {
        mount("disk");
        Trace trace = Trace.load(manager, "trace", "370000", false);
        Hider hider = new Hider();
        hider.load(manager);
        Path dir = Files.createDirectory(fs.getPath("/d"));
        try (WatchService w = fs.newWatchService()) {
            WatchKey key = dir.register(w, StandardWatchEventKinds.ENTRY_CREATE);
            Files.createFile(dir.resolve("hidden1"));
            Files.createFile(dir.resolve("one"));
            assertThat(eventsUntil(w, key, "ENTRY_CREATE one 1")).containsExactly("ENTRY_CREATE one 1");
            int notifications = hider.notifications.get();
            assertThat(manager.unloadFilter("hider")).isEqualTo(NtStatus.SUCCESS);
            assertThat(manager.unloadFilter("trace")).isEqualTo(NtStatus.SUCCESS);
            Files.createFile(dir.resolve("hidden2"));
            assertThat(eventsUntil(w, key, "ENTRY_CREATE hidden2 1")).containsExactly("ENTRY_CREATE hidden2 1");
            assertThat(hider.notifications.get()).isEqualTo(notifications);
            assertThat(trace.late.get()).isZero();
        }
    }

    /** Closing the file system ends its watch services: their directory handles close before the volume goes. */
    @Test
    void closingTheFileSystemClosesItsWatchServices() throws Exception {
        mount("disk");
        Path dir = Files.createDirectory(fs.getPath("/d"));
        WatchService w = fs.newWatchService();
        WatchKey key = dir.register(w, StandardWatchEventKinds.ENTRY_CREATE);
        fs.close();
        assertThat(key.isValid()).isFalse();
        assertThatThrownBy(w::poll).isInstanceOf(java.nio.file.ClosedWatchServiceException.class);
    }

    private static List<String> eventsUntil(WatchService w, WatchKey key, String last) throws Exception {
        List<String> seen = new ArrayList<>();
        while (!seen.contains(last)) {
            seen.addAll(NioContractTest.events(w, key));
        }
        return seen;
    }
}
