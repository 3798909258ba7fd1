package dev.altitude.test;

import dev.altitude.core.Diagnostic;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.MemoryBackend;
import dev.altitude.core.NtStatus;
import dev.altitude.core.UnloadMode;
import dev.altitude.core.UnloadReport;
import dev.altitude.core.Volume;
import dev.altitude.core.VolumeBackend;
import dev.altitude.core.probe.Probes;
import dev.altitude.nio.AltitudeFileSystem;
import dev.altitude.nio.AltitudeFileSystemProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * What {@link AltitudeExtension} gives a test: a filter manager in verifier mode (its ports also on Unix
 * sockets in a directory of the test's own), volumes in memory or over a temporary directory through NIO, and
 * loads that must succeed. At the end of the test the rig unloads every filter still loaded (mandatory, each
 * within {@link #unloadWithin}) and fails the test on any verifier diagnostic, callback after unregister, owed
 * post-operation not called once, context not cleaned once, or unload that does not finish; the failure names
 * what broke and prints the unload report.
 */
public final class AltitudeRig {
    private final Path root;
    private final Watch watch = new Watch();
    private final FilterManager manager;
    private final List<AltitudeFileSystem> fileSystems = new ArrayList<>();
    private final List<String> expected = new ArrayList<>();
    private Duration unloadWithin = Duration.ofSeconds(10);
    private int volumes;

    AltitudeRig(Path root) throws IOException {
        this.root = root;
        this.manager = Probes.attach(FilterManager.builder().verifier(true)
                .portDirectory(Files.createDirectories(root.resolve("ports"))), watch).build();
    }

    Path root() {
        return root;
    }

    public FilterManager manager() {
        return manager;
    }

    /** Where the manager's ports listen for other processes ({@link ChildJvm}s connect there). */
    public Path portDirectory() {
        return manager.portDirectory().orElseThrow();
    }

    /** A volume named {@code name} over a fresh {@link MemoryBackend}. */
    public Volume memoryVolume(String name) {
        return manager.mountVolume(name, new MemoryBackend());
    }

    /** A volume named {@code name} over {@code backend} (a {@link FaultyBackend}, say). */
    public Volume volume(String name, VolumeBackend backend) {
        return manager.mountVolume(name, backend);
    }

    /** A volume named {@code name} over a fresh temporary directory, as an NIO file system (closed at the end). */
    public AltitudeFileSystem nioVolume(String name) {
        try {
            return nioVolume(name, Files.createDirectories(root.resolve("volume-" + (++volumes))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A volume named {@code name} over {@code directory} (the test's own, a {@code @TempDir} say), as an NIO file system. */
    public AltitudeFileSystem nioVolume(String name, Path directory) {
        try {
            AltitudeFileSystem fs = AltitudeFileSystemProvider.mount(manager, name, directory);
            fileSystems.add(fs);
            return fs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Registers {@code driver} under its name and loads it with {@code config}; fails the test if the load fails. */
    public <D extends FilterDriver> D load(D driver, DriverConfig config) {
        manager.registerDriver(config.name(), () -> driver);
        NtStatus s = manager.loadFilter(config);
        if (!s.isSuccess()) {
            throw new AssertionError("loading '" + config.name() + "' failed with " + s + diagnosticsText(config.name()));
        }
        return driver;
    }

    public <D extends FilterDriver> D load(D driver) {
        return load(driver, DriverConfig.of(driver.name()));
    }

    /** Registers a driver that {@code drivers} makes (one per load) without loading it. */
    public void register(String name, Supplier<? extends FilterDriver> drivers) {
        manager.registerDriver(name, drivers);
    }

    /** Unloads within {@link #unloadWithin}: its status, or an {@link AssertionError} saying what it waits for. */
    public NtStatus unload(String filter, UnloadMode mode) {
        return Unloads.unload(manager, filter, mode, unloadWithin);
    }

    /** How long one unload may take before it counts as stuck (default 10 s). */
    public AltitudeRig unloadWithin(Duration d) {
        this.unloadWithin = d;
        return this;
    }

    /** "Why won't it unload?" now, for {@link UnloadAssert#assertThatUnload}. */
    public UnloadReport explain(String filter) {
        return manager.explain(filter).orElseThrow(() -> new AssertionError("no filter '" + filter + "' is loaded"));
    }

    /** Diagnostics of this kind are what the test provokes: they do not fail it. */
    public AltitudeRig expect(Diagnostic.Kind kind) {
        expected.add(kind.name());
        return this;
    }

    /** The problems found so far (the end of the test throws them); empty when all is well. */
    public List<String> problems() {
        List<String> out = new ArrayList<>(watch.problems());
        for (Diagnostic d : Unloads.failing(manager.diagnostics(), null)) {
            if (!expected.contains(d.kind().name())) {
                out.add(d.kind() + " [" + d.filter() + "] " + Unloads.meaning(d.kind()) + ": " + d.message());
            }
        }
        return out;
    }

    private String diagnosticsText(String filter) {
        StringBuilder b = new StringBuilder("\n");
        Unloads.appendDiagnostics(b, manager.diagnostics(), filter);
        return b.toString().stripTrailing();
    }

    /** The end of a test: unload what is loaded, close, and fail on what broke. */
    void finish() {
        List<String> stuck = new ArrayList<>();
        for (FilterManager.FilterInfo f : manager.filters()) {
            try {
                unload(f.name(), UnloadMode.MANDATORY);
            } catch (AssertionError e) {
                stuck.add(e.getMessage());
            }
        }
        if (!stuck.isEmpty()) {
            // a stuck unload keeps the manager: it is left to a thread of its own, never joined
            Thread.ofPlatform().daemon().name("altitude-rig-abandoned").start(this::close);
            throw new AssertionError(String.join("\n", stuck));
        }
        closeWithin();
        List<String> problems = problems();
        if (!problems.isEmpty()) {
            throw new AssertionError("the filter broke the contract:\n  - " + String.join("\n  - ", problems));
        }
    }

    /**
     * Closes the manager on a thread of its own, waiting at most {@link #unloadWithin}: an operation the test left
     * in flight (a {@link FaultyBackend.Hold} never released, say) keeps a volume from dismounting.
     */
    private void closeWithin() {
        Thread closer = Thread.ofPlatform().daemon().name("altitude-rig-close").start(this::close);
        try {
            if (!closer.join(unloadWithin)) {
                StringBuilder b = new StringBuilder("the filter manager did not close within " + unloadWithin.toMillis()
                        + " ms: a volume still has operations in flight (one the test held and never released?)\n");
                for (StackTraceElement e : closer.getStackTrace()) {
                    b.append("      at ").append(e).append('\n');
                }
                throw new AssertionError(b.toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted closing the manager", e);
        }
    }

    private void close() {
        fileSystems.forEach(AltitudeFileSystem::close);
        manager.close();
    }
}
