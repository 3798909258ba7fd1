package dev.altitude.test;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterClient;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.MemoryBackend;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import dev.altitude.core.UnloadFlag;
import dev.altitude.core.UnloadMode;
import dev.altitude.core.UnloadReport;
import dev.altitude.core.Volume;
import dev.altitude.core.probe.Probes;
import dev.altitude.nio.AltitudeFileSystem;
import dev.altitude.nio.AltitudeFileSystemProvider;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The unload torture for your own filter, in one line:
 *
 * <pre>{@code
 * UnloadTorture.of(MyFilter.class).run();
 * }</pre>
 *
 * <p>Each of {@link #cycles} cycles loads the filter (from a class loader of its own when given as a class),
 * connects {@link #clients} through your {@link ClientFactory}, lets the I/O threads ({@link #threads}, doing
 * the {@link IoMix}) reach it, and unloads it at a point drawn from the seed, optional or mandatory. Checked on
 * every cycle: an optional unload the filter refused returned the filter's own status to the requester and left
 * it loaded; a mandatory one could not be refused; every server port the filter created is closed (no
 * connection, no socket); every client was disconnected exactly once and ended. Checked at the end: no callback
 * ran after unregister returned; every operation returned exactly once; every owed post-operation was called
 * exactly once (normally or draining); every context allocated was cleaned up exactly once; the verifier
 * reported no misuse; no thread the filter started is alive; no generation's class loader is left. An unload
 * that does not finish within {@link #unloadWithin} fails at once with what it waits for.
 *
 * <p>A failure is an {@link AssertionError} that says what broke, where (the filter's line, when the verifier
 * recorded it), the seed to replay ({@code -Daltitude.torture.seed=N}) and the unload report.
 */
public final class UnloadTorture {
    private static final java.util.concurrent.atomic.AtomicInteger RUNS = new java.util.concurrent.atomic.AtomicInteger();
    private final String name;
    private final Supplier<? extends FilterDriver> drivers;
    private final Class<? extends FilterDriver> driverClass;
    private DriverConfig config;
    private int cycles = Integer.getInteger("altitude.torture.cycles", 100);
    private int threads = 4;
    private long seed = Long.getLong("altitude.torture.seed", System.nanoTime());
    private IoMix mix = IoMix.defaults();
    private double optionalShare = 0.5;
    private int clients;
    private ClientFactory clientFactory;
    private Duration unloadWithin = Duration.ofSeconds(10);
    /** How long the I/O may make no step with the filter loaded before the run fails: a bound for a hang. */
    private final Duration progressWithin = Duration.ofSeconds(60);
    private boolean memoryVolume = true;
    private boolean nioVolume = true;

    private UnloadTorture(String name, Supplier<? extends FilterDriver> drivers, Class<? extends FilterDriver> driverClass) {
        this.name = name;
        this.drivers = drivers;
        this.driverClass = driverClass;
    }

    /**
     * Tortures the filter {@code driver} makes (a public class with a public no-argument constructor); each load
     * comes from a class loader of its own, which must be collectable after the unload.
     */
    public static UnloadTorture of(Class<? extends FilterDriver> driver) {
        FilterDriver probe = instantiate(driver);
        return new UnloadTorture(probe.name(), null, driver);
    }

    /** Tortures the filter named {@code name} that {@code drivers} makes (one driver per load; no class loader check). */
    public static UnloadTorture of(String name, Supplier<? extends FilterDriver> drivers) {
        return new UnloadTorture(name, drivers, null);
    }

    /** Cycles of load, I/O, unload (default 100, or {@code -Daltitude.torture.cycles}). */
    public UnloadTorture cycles(int n) {
        this.cycles = positive(n, "cycles");
        return this;
    }

    /** Threads doing I/O the whole time (default 4). */
    public UnloadTorture threads(int n) {
        this.threads = positive(n, "threads");
        return this;
    }

    /** The seed of every choice (default {@code -Daltitude.torture.seed}, else a new one, printed on failure). */
    public UnloadTorture seed(long seed) {
        this.seed = seed;
        return this;
    }

    public UnloadTorture mix(IoMix mix) {
        this.mix = mix;
        return this;
    }

    /** The load's configuration (default: the filter's name, no parameters). */
    public UnloadTorture config(DriverConfig config) {
        this.config = config;
        return this;
    }

    /** The share of unloads asked as optional ones (the filter may refuse them); the rest are mandatory. Default ½. */
    public UnloadTorture optionalShare(double share) {
        if (share < 0 || share > 1) {
            throw new IllegalArgumentException("a share is between 0 and 1: " + share);
        }
        this.optionalShare = share;
        return this;
    }

    /** {@code n} clients per load, each connected by {@code factory} after the load. */
    public UnloadTorture clients(int n, ClientFactory factory) {
        this.clients = n;
        this.clientFactory = factory;
        return this;
    }

    /** How long one unload may take before the run fails with what it waits for (default 10 s). */
    public UnloadTorture unloadWithin(Duration d) {
        this.unloadWithin = d;
        return this;
    }

    /** Only the in-memory volume, only the NIO one over a temporary directory, or both (the default). */
    public UnloadTorture volumes(boolean memory, boolean nio) {
        if (!memory && !nio) {
            throw new IllegalArgumentException("at least one volume");
        }
        this.memoryVolume = memory;
        this.nioVolume = nio;
        return this;
    }

    /** What a run did. */
    public record Result(long seed, int cycles, int vetoes, long operations, Map<String, Long> failedOperations,
                         long owedPostOperations, long drained, long contexts, long disconnects) {
        @Override
        public String toString() {
            return "unload torture: " + cycles + " cycles (" + vetoes + " optional unloads refused), " + operations
                    + " operations (failed: " + failedOperations + "), " + owedPostOperations + " owed post-operations ("
                    + drained + " drained), " + contexts + " contexts, " + disconnects + " client disconnects, seed " + seed;
        }
    }

    /** Runs it; an {@link AssertionError} on the first broken promise (see the class comment). */
    public Result run() {
        try {
            return run0();
        } catch (IOException e) {
            throw new AssertionError("unload torture (seed " + seed + "): " + e, e);
        }
    }

    private Result run0() throws IOException {
        Random random = new Random(seed);
        Watch watch = new Watch();
        Path root = Files.createTempDirectory("altitude-torture");
        Path ports = Files.createDirectory(root.resolve("ports"));
        FilterManager manager = Probes.attach(FilterManager.builder().verifier(true).portDirectory(ports), watch).build();
        List<Volume> volumes = new ArrayList<>();
        AltitudeFileSystem fs = null;
        if (memoryVolume) {
            volumes.add(manager.mountVolume("memory", new MemoryBackend()));
        }
        if (nioVolume) {
            // NIO file systems are named JVM-wide: a run that failed (and left its manager) must not block the next
            fs = AltitudeFileSystemProvider.mount(manager, "disk-" + RUNS.incrementAndGet(), Files.createDirectory(root.resolve("disk")));
            volumes.add(fs.volume());
        }
        for (Volume v : volumes) {
            mix.prepare(v);
        }
        Set<Thread> before = new HashSet<>(Thread.getAllStackTraces().keySet());
        List<WeakReference<ClassLoader>> loaders = new ArrayList<>();
        int[] generation = {0};
        DriverConfig cfg = config != null ? config : DriverConfig.of(name);
        manager.registerDriver(cfg.name(), () -> {
            if (drivers != null) {
                return drivers.get();
            }
            GenerationLoader loader = new GenerationLoader(codeSource(driverClass), driverClass.getClassLoader(), ++generation[0]);
            loaders.add(new WeakReference<>(loader));
            try {
                return instantiate(loader.loadClass(driverClass.getName()).asSubclass(FilterDriver.class));
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        });

        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong progress = new AtomicLong();
        List<IoMix.Counts> counts = new ArrayList<>();
        List<Thread> io = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            IoMix.Counts c = new IoMix.Counts();
            counts.add(c);
            Random r = new Random(seed * 31 + t);
            io.add(Thread.ofPlatform().daemon().name("altitude-torture-io-" + t).start(() -> {
                long unique = 0;
                while (!stop.get()) {
                    mix.step(volumes.get(r.nextInt(volumes.size())), r, unique++, c);
                    progress.incrementAndGet();
                }
            }));
        }

        Failure failure = new Failure(seed, name, manager);
        int vetoes;
        try {
            vetoes = cycles(manager, cfg, ports, volumes.stream().map(Volume::name).toList(), watch, random, progress, failure);
        } catch (AssertionError | RuntimeException e) {
            stop.set(true);
            abandon(manager, fs);
            throw e;
        }
        stop.set(true);
        for (Thread t : io) {
            if (!join(t)) {
                throw failure.at(-1, "I/O thread " + t.getName() + " did not return after the last unload:\n"
                        + stack(t));
            }
        }
        if (fs != null) {
            fs.close();
        }
        manager.close();
        AltitudeExtension.delete(root); // its ports and its NIO volume

        List<String> problems = new ArrayList<>(watch.problems());
        long issued = 0;
        long returned = 0;
        Map<String, Long> failed = new TreeMap<>();
        for (IoMix.Counts c : counts) {
            issued += c.issued;
            returned += c.returned;
            c.statuses.forEach((k, v) -> failed.merge(k, v, Long::sum));
        }
        if (issued != returned) {
            problems.add(issued + " operations issued but " + returned + " returned (each must return exactly once)");
        }
        long joinBy = System.nanoTime() + Duration.ofSeconds(10).toNanos(); // one bound for all of them: a hang
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (!before.contains(t) && !io.contains(t) && isFilters(t) && !join(t, joinBy)) {
                problems.add("a thread the filter started outlived its unload: '" + t.getName() + "'\n" + stack(t));
            }
        }
        String diagnostics = diagnosticsText(manager);
        if (!problems.isEmpty() || !diagnostics.isEmpty()) {
            String headline = problems.isEmpty() ? Unloads.headline(manager.diagnostics(), null) : problems.getFirst();
            throw failure.at(-1, headline + "\n" + (problems.isEmpty() ? "" : "  - " + String.join("\n  - ", problems) + "\n")
                    + diagnostics);
        }
        manager = null;
        failure = null;
        List<Integer> kept = keptLoaders(loaders);
        if (!kept.isEmpty()) {
            throw new AssertionError("unload torture of '" + name + "' (seed " + seed + "): the class loaders of load(s) "
                    + kept + " were not collected after their unload: something outside the filter still holds its "
                    + "classes (a thread it started, a static registry or cache of another class, a ThreadLocal on a "
                    + "shared thread, a shutdown hook)");
        }
        long owed = 0;
        long drained = 0;
        long contexts = 0;
        long disconnects = 0;
        for (Watch.Life l : watch.lives()) {
            owed += l.owedTotal.get();
            drained += l.drained.get();
            contexts += l.contextsAllocated.get();
            disconnects += l.clients.size();
        }
        return new Result(seed, cycles, vetoes, returned, failed, owed, drained, contexts, disconnects);
    }

    private int cycles(FilterManager manager, DriverConfig cfg, Path ports, List<String> volumeNames, Watch watch, Random random,
                       AtomicLong progress, Failure failure) {
        int vetoes = 0;
        for (int cycle = 0; cycle < cycles; cycle++) {
            NtStatus loaded = manager.loadFilter(cfg);
            if (!loaded.isSuccess()) {
                throw failure.at(cycle, "the load failed with " + loaded);
            }
            List<AutoCloseable> connected = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                try {
                    connected.add(clientFactory.connect(new ClientFactory.Connection(manager, ports, volumeNames, cycle, c)));
                } catch (Exception e) {
                    throw failure.at(cycle, "client " + c + " could not connect: " + e);
                }
            }
            long target = progress.get() + 1 + random.nextInt(16);
            awaitProgress(progress, target, failure, cycle);
            boolean mandatory = random.nextDouble() >= optionalShare;
            Watch.Life life = watch.of(manager.filter(cfg.name()).orElseThrow());
            NtStatus s = unload(manager, cfg.name(), mandatory ? UnloadMode.MANDATORY : UnloadMode.OPTIONAL, failure, cycle);
            if (life.unloadCallbacks.isEmpty()) {
                throw failure.at(cycle, "the unload returned " + s + " without calling an unload callback: a filter "
                        + "without one cannot be unloaded (register onUnload)");
            }
            if (mandatory) {
                if (!s.isSuccess()) {
                    throw failure.at(cycle, "a mandatory unload returned " + s + ": it cannot be refused");
                }
            } else if (s.isFailure()) {
                vetoes++;
                if (life.lastUnloadFlags == null || life.lastUnloadFlags.contains(UnloadFlag.MANDATORY)
                        || !s.equals(life.lastUnloadStatus)) {
                    throw failure.at(cycle, "an optional unload returned " + s + " but the filter's unload callback "
                            + "returned " + life.lastUnloadStatus + (life.lastUnloadStatus == null ? " (it has none, or it was not called)" : ""));
                }
                Filter f = manager.filter(cfg.name()).orElse(null);
                if (f == null || f.state() != Filter.State.FILTERING) {
                    throw failure.at(cycle, "the filter refused an optional unload with " + s + " but is no longer filtering ("
                            + (f == null ? "gone" : f.state()) + ")");
                }
                s = unload(manager, cfg.name(), UnloadMode.MANDATORY, failure, cycle);
                if (!s.isSuccess()) {
                    throw failure.at(cycle, "a mandatory unload after a refused one returned " + s);
                }
            }
            if (!life.unregistered) {
                throw failure.at(cycle, "the unload returned " + s + " but the filter did not unregister");
            }
            for (String port : life.ports) {
                checkClosed(manager, ports, port, failure, cycle);
            }
            for (AutoCloseable c : connected) {
                closeBounded(c, failure, cycle);
            }
        }
        return vetoes;
    }

    /** After a failure: the manager is closed on a thread of its own, which a stuck unload may keep for ever. */
    private static void abandon(FilterManager manager, AltitudeFileSystem fs) {
        Thread.ofPlatform().daemon().name("altitude-torture-abandoned").start(() -> {
            if (fs != null) {
                fs.close();
            }
            manager.close();
        });
    }

    private NtStatus unload(FilterManager manager, String filter, UnloadMode mode, Failure failure, int cycle) {
        try {
            return Unloads.unload(manager, filter, mode, unloadWithin);
        } catch (AssertionError stuck) {
            throw failure.at(cycle, stuck.getMessage());
        }
    }

    private void awaitProgress(AtomicLong progress, long target, Failure failure, int cycle) {
        Poll.until(() -> progress.get() >= target, progressWithin, () -> failure.at(cycle, "no I/O step finished for "
                + progressWithin.toSeconds() + " s with the filter loaded: every I/O thread is blocked\n"
                + Unloads.whatWaits(failure.manager, name).map(UnloadReport::toText).orElse("")));
    }

    private static void checkClosed(FilterManager manager, Path ports, String port, Failure failure, int cycle) {
        try (FilterClient c = FilterClient.connect(manager, port, null)) {
            throw failure.at(cycle, "server port '" + port + "' still takes connections after the unload (" + c + ")");
        } catch (NtStatusException e) {
            if (!e.status().equals(NtStatus.OBJECT_NAME_NOT_FOUND)) {
                throw failure.at(cycle, "a connection to server port '" + port + "' after the unload gave " + e.status()
                        + " where OBJECT_NAME_NOT_FOUND was expected");
            }
        }
        if (Files.exists(ports.resolve(port + ".sock"))) {
            throw failure.at(cycle, "the socket of server port '" + port + "' is still there after the unload");
        }
    }

    private void closeBounded(AutoCloseable client, Failure failure, int cycle) {
        CompletableFuture<Void> done = CompletableFuture.runAsync(() -> {
            try {
                client.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, r -> Thread.ofPlatform().daemon().name("altitude-torture-client-close").start(r));
        try {
            done.get(unloadWithin.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw failure.at(cycle, "a client did not end within " + unloadWithin.toMillis() + " ms after the unload "
                    + "disconnected it (does it stop on PORT_DISCONNECTED?)");
        } catch (java.util.concurrent.ExecutionException e) {
            throw failure.at(cycle, "closing a client failed: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure.at(cycle, "interrupted");
        }
    }

    private static String diagnosticsText(FilterManager manager) {
        StringBuilder b = new StringBuilder();
        Unloads.appendDiagnostics(b, manager.diagnostics(), null);
        return b.toString();
    }

    /**
     * Is {@code t} the filter's thread? With a class loader per load: a thread running code of one (a frame of a
     * generation's loader). Otherwise any new thread but the JDK's own (carriers of virtual threads, the
     * unblocker, the cleaner, the process reaper) and the manager's.
     */
    private boolean isFilters(Thread t) {
        if (!t.isAlive()) {
            return false;
        }
        if (driverClass != null) {
            for (StackTraceElement e : t.getStackTrace()) {
                if (e.getClassLoaderName() != null && e.getClassLoaderName().startsWith(GenerationLoader.PREFIX)) {
                    return true;
                }
            }
            return false;
        }
        String n = t.getName();
        return !(n.startsWith("ForkJoinPool") || n.equals("VirtualThread-unblocker") || n.equals("Common-Cleaner")
                || n.equals("process reaper") || n.startsWith("altitude-") || n.equals("Attach Listener")
                || n.startsWith("JFR ") || n.equals("Signal Dispatcher") || n.equals("Reference Handler") || n.equals("Finalizer"));
    }

    /** Joins a thread that should be ending, with a bound for a hang; false if it is still alive. */
    private static boolean join(Thread t) {
        return join(t, System.nanoTime() + Duration.ofSeconds(10).toNanos());
    }

    private static boolean join(Thread t, long byNanos) {
        try {
            return t.join(Duration.ofNanos(Math.max(1, byNanos - System.nanoTime())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String stack(Thread t) {
        StringBuilder b = new StringBuilder();
        for (StackTraceElement s : t.getStackTrace()) {
            b.append("      at ").append(s).append('\n');
        }
        return b.toString();
    }

    /** The loads whose class loader is still reachable after collections (a bounded number of them). */
    private static List<Integer> keptLoaders(List<WeakReference<ClassLoader>> loaders) {
        for (int attempt = 0; attempt < 10; attempt++) {
            if (loaders.stream().allMatch(w -> w.get() == null)) {
                return List.of();
            }
            System.gc();
            Thread.yield();
        }
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < loaders.size(); i++) {
            if (loaders.get(i).get() != null) {
                kept.add(i + 1);
            }
        }
        return kept;
    }

    private static URL codeSource(Class<?> c) {
        return c.getProtectionDomain().getCodeSource().getLocation();
    }

    private static FilterDriver instantiate(Class<? extends FilterDriver> c) {
        try {
            return c.getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException(c.getName() + " needs a public no-argument constructor: " + e, e);
        }
    }

    private static int positive(int n, String what) {
        if (n <= 0) {
            throw new IllegalArgumentException(what + " must be more than 0: " + n);
        }
        return n;
    }

    /** Builds the failure: what broke, the cycle, the seed to replay. */
    private record Failure(long seed, String filter, FilterManager manager) {
        AssertionError at(int cycle, String what) {
            return new AssertionError("unload torture of '" + filter + "' failed"
                    + (cycle >= 0 ? " in cycle " + (cycle + 1) : "") + ": " + what
                    + "\nreplay with -Daltitude.torture.seed=" + seed + " (or .seed(" + seed + "L))");
        }
    }
}
