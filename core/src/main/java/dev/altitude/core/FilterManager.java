package dev.altitude.core;

import dev.altitude.core.events.LifecycleEvent;

import dev.altitude.core.clock.CoarseClock;
import dev.altitude.core.frame.CallbackFrame;
import dev.altitude.core.frame.FrameRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The filter manager: loads and unloads filter drivers, mounts volumes, attaches and detaches
 * instances, and lists them all, as {@code fltmc} does.
 *
 * <pre>{@code
 * try (FilterManager manager = FilterManager.create()) {
 *     manager.registerDriver("scanner", Scanner::new);
 *     manager.mountVolume("data", backend);
 *     manager.loadFilter("scanner");            // DriverEntry: register, start filtering
 *     ...
 *     manager.unloadFilter("scanner");          // optional: the filter may refuse
 * }                                             // close: SHUTDOWN, mandatory unloads, dismounts
 * }</pre>
 *
 * <p>Filter names are case-insensitive, as Windows service names are.
 */
public final class FilterManager implements AutoCloseable {

    /** One filter name: the loaded filter and the load or unload in progress, under one lock. */
    static final class DriverSlot {
        final String name;
        final ReentrantLock lock = new ReentrantLock();
        final Condition changed = lock.newCondition();
        /** The loaded filter (guarded by lock; volatile for the self-unload check). */
        volatile Filter filter;
        Thread loading;
        Thread unloading;
        /** The mode of the unload under way (set with {@link #unloading}): an unregister inside it tears down for it. */
        volatile UnloadMode unloadingMode;

        DriverSlot(String name) {
            this.name = name;
        }

        /**
         * Under {@link #lock}: forgets a filter that unregistered by itself, outside an unload (decision 13); its
         * name is free. True if it did.
         */
        boolean forgetUnregistered() {
            Filter f = filter;
            if (f != null && f.state() == Filter.State.UNREGISTERED && unloading == null) {
                filter = null;
                changed.signalAll();
                return true;
            }
            return false;
        }
    }

    private record Loading(DriverSlot slot, DriverConfig config, Filter[] registered) {
    }

    private static final ThreadLocal<Loading> LOADING = new ThreadLocal<>();

    static {
        dev.altitude.core.probe.Probes.install((builder, probe) -> builder.probe = probe);
    }

    final Diagnostics diagnostics = new Diagnostics();
    private final Map<String, Supplier<? extends FilterDriver>> drivers = new ConcurrentHashMap<>();
    private final Map<String, DriverSlot> slots = new ConcurrentHashMap<>();
    private final Map<String, Volume> volumes = new ConcurrentHashMap<>();
    private final Map<String, ServerPort> ports = new ConcurrentHashMap<>();
    private final java.nio.file.Path portDirectory;
    private final ClassLoader serviceLoader;
    private final boolean verifier;
    private final long unloadWarningMillis;
    /** The test kit's observer, or null (no work done for it). */
    final dev.altitude.core.probe.Probe probe;
    /** The callback frames of the threads that ran operations on this manager's volumes. */
    final FrameRegistry frames = new FrameRegistry();
    private final ExecutorService workers = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("altitude-work-", 0).factory());
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicBoolean clockReleased = new java.util.concurrent.atomic.AtomicBoolean();

    private FilterManager(Builder b) {
        this.serviceLoader = b.serviceLoader;
        this.verifier = b.verifier;
        this.unloadWarningMillis = Math.max(1, b.unloadWarning.toMillis());
        this.portDirectory = b.portDirectory;
        this.probe = b.probe;
        CoarseClock.use();
    }

    /**
     * A filter manager with the defaults: drivers also found through {@link ServiceLoader} on the context
     * class loader; verifier mode if the system property {@code altitude.verifier} is true; unload waits
     * reported after 5 seconds.
     */
    public static FilterManager create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options of a filter manager. */
    public static final class Builder {
        private ClassLoader serviceLoader = Thread.currentThread().getContextClassLoader();
        private boolean verifier = Boolean.getBoolean("altitude.verifier");
        private Duration unloadWarning = Duration.ofSeconds(5);
        private java.nio.file.Path portDirectory;
        private dev.altitude.core.probe.Probe probe;

        private Builder() {
        }

        /**
         * Verifier mode: every rundown holder records where it was taken; leaked context references,
         * over-releases, calls after unregister and use of freed filter globals are reported with the call
         * site.
         */
        public Builder verifier(boolean on) {
            this.verifier = on;
            return this;
        }

        /** How long an unload may wait in one phase before the "why won't it unload?" report is logged. */
        public Builder unloadWarningAfter(Duration threshold) {
            this.unloadWarning = threshold;
            return this;
        }

        /**
         * The runtime directory where every server port also listens for other processes, on a Unix
         * socket {@code <directory>/<port name>.sock} (created if missing, mode 0700 when created).
         * Without it, ports are reachable only from this JVM.
         */
        public Builder portDirectory(java.nio.file.Path directory) {
            this.portDirectory = directory;
            return this;
        }

        /** Where {@link ServiceLoader} looks for {@link FilterDriver}s. */
        public Builder driverClassLoader(ClassLoader loader) {
            this.serviceLoader = loader;
            return this;
        }

        public FilterManager build() {
            return new FilterManager(this);
        }
    }

    boolean verifier() {
        return verifier;
    }

    long unloadWarningMillis() {
        return unloadWarningMillis;
    }

    ExecutorService workers() {
        return workers;
    }

    // ---- communication ports ------------------------------------------------------------------------

    private static final java.util.regex.Pattern PORT_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9._-]{1,255}");

    /** A port's name without Windows' leading backslash, or null if it is not a valid name. */
    static String portName(String name) {
        if (name == null) {
            return null;
        }
        String n = name.startsWith("\\") ? name.substring(1) : name;
        return PORT_NAME.matcher(n).matches() && !n.equals(".") && !n.equals("..") ? n : null;
    }

    /** Names the port in the manager's namespace, and listens on its socket if there is a port directory. */
    void publishPort(ServerPort port) {
        if (ports.putIfAbsent(port.name(), port) != null) {
            throw new NtStatusException(NtStatus.OBJECT_NAME_COLLISION, "a port named '" + port.name() + "' exists");
        }
        if (portDirectory != null) {
            try {
                port.listenOn(PortListener.listen(this, port, portDirectory));
            } catch (java.io.IOException e) {
                ports.remove(port.name(), port);
                throw new NtStatusException(NtStatus.INSUFFICIENT_RESOURCES,
                        "cannot listen for port '" + port.name() + "' in " + portDirectory + ": " + e.getMessage());
            }
        }
    }

    void forgetPort(ServerPort port) {
        ports.remove(port.name(), port);
    }

    /** A connection from this JVM ({@link FilterClient#connect(FilterManager, String, byte[])}). */
    ClientPort connectLocal(String name, byte[] context, ClientPort.UserEnd end) {
        String n = portName(name);
        ServerPort port = n == null ? null : ports.get(n);
        if (port == null) {
            throw new NtStatusException(NtStatus.OBJECT_NAME_NOT_FOUND, "no communication port '" + name + "'");
        }
        return port.connect(context == null ? PortResult.NONE : context, PeerIdentity.self(), end);
    }

    /** The directory of the ports' sockets, if ports listen for other processes. */
    public java.util.Optional<java.nio.file.Path> portDirectory() {
        return java.util.Optional.ofNullable(portDirectory);
    }

    private static String key(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    // ---- drivers: load and unload ---------------------------------------------------------------

    /** Makes a driver loadable under {@code name}; each load gets a fresh instance from the factory. */
    public void registerDriver(String name, Supplier<? extends FilterDriver> factory) {
        if (name == null || name.isBlank()) {
            throw new NtStatusException(NtStatus.INVALID_PARAMETER, "a driver needs a name");
        }
        drivers.put(key(name), factory);
    }

    /**
     * Forgets a driver registered with {@link #registerDriver}: a later load finds it only through the
     * service loader. What the factory referenced (a filter jar's class loader) is no longer held here.
     */
    public void unregisterDriver(String name) {
        drivers.remove(key(name));
    }

    /** {@code FltLoadFilter} / {@code fltmc load}. */
    public NtStatus loadFilter(String name) {
        return loadFilter(DriverConfig.of(name));
    }

    /**
     * Loads a driver and calls its driver entry. Fails with {@link NtStatus#OBJECT_NAME_NOT_FOUND} (no such
     * driver), {@link NtStatus#IMAGE_ALREADY_LOADED}, {@link NtStatus#DRIVER_FAILED_PRIOR_UNLOAD} at once
     * while an unload of that name has not finished (decision: no wait, as {@code ZwLoadDriver} answers for
     * an image still in memory; a stuck unload says what it waits for through {@link #explain}), the driver
     * entry's own failure status (as {@code ZwLoadDriver} returns {@code DriverEntry}'s, with a diagnostic),
     * or {@link NtStatus#FAILED_DRIVER_ENTRY} (the driver entry threw, returned null, or succeeded without
     * registering a filter). The unload callback of a failed load is never called. A filter that unregistered
     * by itself, outside an unload, frees its name: it may be loaded again at once.
     */
    public NtStatus loadFilter(DriverConfig config) {
        LifecycleEvent event = new LifecycleEvent();
        event.begin();
        NtStatus s = load(config);
        lifecycle(event, "load", config.name(), null, null, s);
        return s;
    }

    /** A life-cycle JFR event, committed when enabled. */
    static void lifecycle(LifecycleEvent event, String action, String filter, String instance, String volume, NtStatus s) {
        event.end();
        if (event.shouldCommit()) {
            event.action = action;
            event.filter = filter;
            event.instance = instance;
            event.volume = volume;
            event.status = s.name();
            event.commit();
        }
    }

    private NtStatus load(DriverConfig config) {
        if (closed) {
            return NtStatus.FLT_DELETING_OBJECT;
        }
        if (config.altitude() != null && !Altitude.isValid(config.altitude())) {
            return NtStatus.INVALID_PARAMETER;
        }
        DriverSlot slot = slots.computeIfAbsent(key(config.name()), k -> new DriverSlot(config.name()));
        slot.lock.lock();
        try {
            if (slot.loading == Thread.currentThread() || slot.unloading == Thread.currentThread()) {
                return NtStatus.POSSIBLE_DEADLOCK;
            }
            while (slot.loading != null) {
                slot.changed.awaitUninterruptibly(); // a load on another thread: its driver entry's time
            }
            if (slot.unloading != null) {
                return NtStatus.DRIVER_FAILED_PRIOR_UNLOAD;
            }
            slot.forgetUnregistered();
            Filter loaded = slot.filter;
            if (loaded != null) {
                return loaded.state() == Filter.State.DRAINING ? NtStatus.DRIVER_FAILED_PRIOR_UNLOAD
                        : NtStatus.IMAGE_ALREADY_LOADED;
            }
            slot.loading = Thread.currentThread();
        } finally {
            slot.lock.unlock();
        }

        Filter registered = null;
        NtStatus result = NtStatus.FAILED_DRIVER_ENTRY;
        try {
            FilterDriver driver = findDriver(config.name());
            if (driver == null) {
                result = NtStatus.OBJECT_NAME_NOT_FOUND;
            } else {
                Loading loading = new Loading(slot, config, new Filter[1]);
                NtStatus entry;
                LOADING.set(loading);
                try {
                    entry = driver.driverEntry(this, config);
                } catch (RuntimeException | LinkageError | AssertionError e) {
                    diagnostics.report(Diagnostic.Kind.CALLBACK_EXCEPTION, config.name(), "driver entry threw", e);
                    entry = NtStatus.UNHANDLED_EXCEPTION;
                } finally {
                    LOADING.remove();
                }
                registered = loading.registered()[0];
                result = driverEntryOutcome(config.name(), entry, registered);
            }
        } finally {
            slot.lock.lock();
            try {
                if (result.isSuccess()) {
                    slot.filter = registered;
                }
                slot.loading = null;
                slot.changed.signalAll();
            } finally {
                slot.lock.unlock();
            }
        }
        return result;
    }

    private NtStatus driverEntryOutcome(String name, NtStatus entry, Filter registered) {
        if (entry == null || entry.isFailure()) {
            if (registered != null && registered.state() != Filter.State.UNREGISTERED) {
                diagnostics.report(Diagnostic.Kind.FORCED_UNREGISTER, name, "driver entry failed with " + entry
                        + " but left its filter registered; the manager unregisters it (no unload callback)");
                registered.unregister(TeardownReason.FILTER_UNLOAD);
            }
            if (entry == null || entry.equals(NtStatus.UNHANDLED_EXCEPTION)) {
                return NtStatus.FAILED_DRIVER_ENTRY;
            }
            diagnostics.report(Diagnostic.Kind.LOAD_FAILED, name, "driver entry failed with " + entry);
            return entry;
        }
        if (registered == null || registered.state() == Filter.State.UNREGISTERED) {
            diagnostics.report(Diagnostic.Kind.BAD_REGISTRATION, name, "driver entry returned " + entry
                    + " without a registered filter; load failed");
            return NtStatus.FAILED_DRIVER_ENTRY;
        }
        return NtStatus.SUCCESS;
    }

    private FilterDriver findDriver(String name) {
        Supplier<? extends FilterDriver> factory = drivers.get(key(name));
        if (factory != null) {
            return factory.get();
        }
        for (ServiceLoader.Provider<FilterDriver> p : ServiceLoader.load(FilterDriver.class, serviceLoader).stream().toList()) {
            FilterDriver d = p.get();
            if (d.name().equalsIgnoreCase(name)) {
                return d;
            }
        }
        return null;
    }

    /**
     * {@code FltRegisterFilter}: only from inside a driver entry, for the driver being loaded, once. The
     * registration is validated: a bad one is refused with {@link NtStatus#INVALID_PARAMETER} or
     * {@link NtStatus#FLT_DUPLICATE_ENTRY}, named in the exception's message.
     */
    public Filter registerFilter(FilterRegistration registration) {
        Loading loading = LOADING.get();
        if (loading == null) {
            throw new NtStatusException(NtStatus.FLT_NOT_INITIALIZED,
                    "registerFilter must be called from FilterDriver.driverEntry (use loadFilter)");
        }
        StringBuilder why = new StringBuilder();
        NtStatus valid = registration.validate(why);
        if (valid.isFailure()) {
            throw new NtStatusException(valid, why.toString());
        }
        if (!registration.name().equalsIgnoreCase(loading.slot().name)) {
            throw new NtStatusException(NtStatus.INVALID_PARAMETER, "driver '" + loading.slot().name
                    + "' registers a filter named '" + registration.name() + "': the names must match");
        }
        if (loading.registered()[0] != null) {
            throw new NtStatusException(NtStatus.OBJECT_NAME_COLLISION,
                    "driver '" + loading.slot().name + "' registered its filter already");
        }
        String altitude = loading.config().altitude() != null ? loading.config().altitude() : registration.altitude();
        Filter f = new Filter(this, loading.slot(), registration, Altitude.of(altitude));
        loading.registered()[0] = f;
        return f;
    }

    /** {@code FltUnloadFilter} / {@code fltmc unload}: an optional unload, which the filter may refuse. */
    public NtStatus unloadFilter(String name) {
        return unloadFilter(name, UnloadMode.OPTIONAL);
    }

    /**
     * Unloads a filter (spec §2). Refused at once, without calling the unload callback:
     * {@link NtStatus#FLT_FILTER_NOT_FOUND} (unknown name), {@link NtStatus#FLT_DELETING_OBJECT} (another
     * unload is tearing it down), {@link NtStatus#FLT_DO_NOT_DETACH} (no unload callback),
     * {@link NtStatus#NOT_SUPPORTED} (mandatory, and the filter does not support service stop),
     * {@link NtStatus#POSSIBLE_DEADLOCK} (called from the filter's own callback or driver entry).
     * Otherwise the unload callback runs on this thread; an optional unload it refuses returns its status.
     */
    public NtStatus unloadFilter(String name, UnloadMode mode) {
        LifecycleEvent event = new LifecycleEvent();
        event.begin();
        NtStatus s = unload(name, mode);
        lifecycle(event, mode == UnloadMode.MANDATORY ? "mandatory unload" : "unload", name, null, null, s);
        return s;
    }

    private NtStatus unload(String name, UnloadMode mode) {
        DriverSlot slot = slots.get(key(name));
        if (slot == null) {
            return NtStatus.FLT_FILTER_NOT_FOUND;
        }
        if (fromItself(slot)) {
            return NtStatus.POSSIBLE_DEADLOCK;
        }
        Thread me = Thread.currentThread();
        Filter filter;
        slot.lock.lock();
        try {
            while (true) {
                filter = slot.filter;
                if (filter == null && slot.loading == null) {
                    return NtStatus.FLT_FILTER_NOT_FOUND;
                }
                if (slot.forgetUnregistered()) {
                    return NtStatus.SUCCESS; // it unregistered by itself before: nothing is left to unload or wait for
                }
                if (filter != null && filter.state().compareTo(Filter.State.DRAINING) >= 0) {
                    return NtStatus.FLT_DELETING_OBJECT;
                }
                if (slot.loading == null && slot.unloading == null) {
                    break;
                }
                slot.changed.awaitUninterruptibly();
            }
            if (filter.registration().unloadCallback() == null) {
                return NtStatus.FLT_DO_NOT_DETACH;
            }
            if (mode == UnloadMode.MANDATORY
                    && filter.registration().flags().contains(RegistrationFlag.DO_NOT_SUPPORT_SERVICE_STOP)) {
                return NtStatus.NOT_SUPPORTED;
            }
            slot.unloading = me;
            slot.unloadingMode = mode;
        } finally {
            slot.lock.unlock();
        }

        NtStatus result;
        try {
            result = runUnloadCallback(filter, mode);
        } finally {
            slot.lock.lock();
            try {
                slot.unloading = null;
                slot.unloadingMode = null;
                if (filter.state() == Filter.State.UNREGISTERED) {
                    slot.filter = null;
                }
                slot.changed.signalAll();
            } finally {
                slot.lock.unlock();
            }
        }
        return result;
    }

    /**
     * Is this thread inside the filter's own callback, its driver entry or its unload callback? Then an unload
     * would wait for itself: reported, and refused by the caller with {@link NtStatus#POSSIBLE_DEADLOCK}.
     */
    private boolean fromItself(DriverSlot slot) {
        Filter current = slot.filter;
        Thread me = Thread.currentThread();
        if ((current != null && CallbackFrame.current().isInside(current::owns)) || slot.loading == me || slot.unloading == me) {
            diagnostics.report(Diagnostic.Kind.SELF_DEADLOCK, slot.name,
                    "unload requested from the filter's own callback or driver entry; refused (it would wait for itself)");
            return true;
        }
        return false;
    }

    /**
     * What an unload with a bounded wait gives: its status, the report when it is still waiting, and its
     * completion: the unload's own status once it finished (at once for one that did not time out).
     */
    public record UnloadOutcome(NtStatus status, UnloadReport report, CompletableFuture<NtStatus> completion) {
    }

    /**
     * An unload whose requester waits at most {@code maxWait}. If it has not finished by then the result
     * is {@link NtStatus#TIMEOUT} with the "why won't it unload?" report, and the unload goes on; its
     * {@link UnloadOutcome#completion()} completes when it ends. From the filter's own callbacks, driver entry
     * or unload callback it fails at once with {@link NtStatus#POSSIBLE_DEADLOCK}.
     */
    public UnloadOutcome unloadFilter(String name, UnloadMode mode, Duration maxWait) {
        DriverSlot slot = slots.get(key(name));
        if (slot != null && fromItself(slot)) {
            return new UnloadOutcome(NtStatus.POSSIBLE_DEADLOCK, null, CompletableFuture.completedFuture(NtStatus.POSSIBLE_DEADLOCK));
        }
        CompletableFuture<NtStatus> result = new CompletableFuture<>();
        Thread.ofPlatform().name("altitude-unload-" + name).daemon().start(() -> {
            try {
                result.complete(unloadFilter(name, mode));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        try {
            return new UnloadOutcome(result.get(maxWait.toNanos(), TimeUnit.NANOSECONDS), null, result);
        } catch (TimeoutException e) {
            return new UnloadOutcome(NtStatus.TIMEOUT, explain(name).orElse(null), result);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new UnloadOutcome(NtStatus.TIMEOUT, explain(name).orElse(null), result);
        } catch (ExecutionException e) {
            throw new IllegalStateException("unload of " + name + " failed", e.getCause());
        }
    }

    /** Does a thread wait for a load or unload of {@code name} to end (tests)? */
    boolean waitsOnDriver(String name) {
        DriverSlot slot = slots.get(key(name));
        if (slot == null) {
            return false;
        }
        slot.lock.lock();
        try {
            return slot.lock.hasWaiters(slot.changed);
        } finally {
            slot.lock.unlock();
        }
    }

    /** "Why won't it unload?": the filter's state and every rundown holder now (empty if not loaded). */
    public Optional<UnloadReport> explain(String name) {
        return filter(name).map(Filter::explain);
    }

    /** Calls the unload callback and applies the decision matrix of spec §2.4 and decision 8. */
    private NtStatus runUnloadCallback(Filter filter, UnloadMode mode) {
        boolean mandatory = mode == UnloadMode.MANDATORY;
        NtStatus status = filter.callUnload(mandatory ? Set.of(UnloadFlag.MANDATORY) : Set.of());
        if (filter.state().compareTo(Filter.State.DRAINING) >= 0) {
            filter.awaitUnregistered();
            if (!mandatory && status.isFailure()) {
                filter.misuse(Diagnostic.Kind.INVALID_STATUS, "unload callback returned " + status
                        + " after it had unregistered; the unload counts as done");
            }
            return NtStatus.SUCCESS;
        }
        if (mandatory) {
            diagnostics.report(Diagnostic.Kind.FORCED_UNREGISTER, filter.name(),
                    "mandatory unload: the unload callback returned " + status
                            + " without unregistering; the manager closes its server ports and unregisters it");
            filter.closeServerPorts();
            filter.unregister(TeardownReason.MANDATORY_FILTER_UNLOAD);
            return NtStatus.SUCCESS;
        }
        if (status.isFailure()) {
            lifecycle(new LifecycleEvent(), "veto", filter.name(), null, null, status); // the unload callback refused
            return status;
        }
        diagnostics.report(Diagnostic.Kind.FORCED_UNREGISTER, filter.name(),
                "unload callback returned " + status + " without unregistering; the manager closes its server ports "
                        + "and unregisters it");
        filter.closeServerPorts();
        filter.unregister(TeardownReason.FILTER_UNLOAD);
        return NtStatus.SUCCESS;
    }

    /** The loaded filter of that name; a filter that has unregistered is no longer listed. */
    public Optional<Filter> filter(String name) {
        DriverSlot slot = slots.get(key(name));
        Filter f = slot == null ? null : slot.filter;
        return Optional.ofNullable(f == null || f.state() == Filter.State.UNREGISTERED ? null : f);
    }

    // ---- volumes --------------------------------------------------------------------------------

    /**
     * Mounts a volume over a backend; every filtering filter that attaches automatically gets an instance
     * (setup flags AUTOMATIC_ATTACHMENT and NEWLY_MOUNTED_VOLUME), highest default altitude first.
     */
    public Volume mountVolume(String name, VolumeBackend backend) {
        if (closed) {
            throw new NtStatusException(NtStatus.FLT_DELETING_OBJECT, "the filter manager is closed");
        }
        Volume v = new Volume(this, name, backend);
        if (volumes.putIfAbsent(name, v) != null) {
            throw new NtStatusException(NtStatus.FLT_VOLUME_ALREADY_MOUNTED, "volume " + name);
        }
        for (Filter f : loadedFilters()) {
            if (f.state() == Filter.State.FILTERING && f.registration().automaticAttachment()) {
                attachAutomatically(f, v, EnumSet.of(InstanceSetupFlag.AUTOMATIC_ATTACHMENT,
                        InstanceSetupFlag.NEWLY_MOUNTED_VOLUME));
            }
        }
        return v;
    }

    /** Dismounts a volume: its instances are torn down with reason VOLUME_DISMOUNT. */
    public NtStatus dismountVolume(String name) {
        Volume v = volumes.remove(name);
        if (v == null) {
            return NtStatus.FLT_VOLUME_NOT_FOUND;
        }
        v.dismount();
        return NtStatus.SUCCESS;
    }

    public Optional<Volume> volume(String name) {
        return Optional.ofNullable(volumes.get(name));
    }

    List<Volume> mountedVolumes() {
        return List.copyOf(volumes.values());
    }

    void attachAutomatically(Filter f, Volume v, Set<InstanceSetupFlag> flags) {
        try {
            f.attach(v, f.registration().defaultInstanceName(), f.altitude(), false, flags);
        } catch (NtStatusException e) {
            System.getLogger("dev.altitude.core").log(System.Logger.Level.DEBUG,
                    "no automatic instance of " + f.name() + " on " + v.name() + ": " + e.getMessage());
        }
    }

    // ---- attach and detach -----------------------------------------------------------------------

    /**
     * {@code FltAttachVolume} / {@code FltAttachVolumeAtAltitude} / {@code fltmc attach}. With no altitude
     * the filter's default is used and the name defaults to the default instance name; with an altitude and
     * no name, the name is "{@code <filter> <altitude>}".
     *
     * @throws NtStatusException FLT_FILTER_NOT_FOUND, FLT_VOLUME_NOT_FOUND, FLT_FILTER_NOT_READY,
     *                           FLT_DELETING_OBJECT, FLT_INSTANCE_NAME_COLLISION, FLT_INSTANCE_ALTITUDE_COLLISION,
     *                           OBJECT_NAME_COLLISION (default altitude taken), INVALID_PARAMETER (bad altitude),
     *                           or the status with which instance setup refused
     */
    public Instance attach(String filterName, String volumeName, String instanceName, String altitude) {
        Filter f = filter(filterName).orElseThrow(
                () -> new NtStatusException(NtStatus.FLT_FILTER_NOT_FOUND, "no filter '" + filterName + "'"));
        Volume v = volume(volumeName).orElseThrow(
                () -> new NtStatusException(NtStatus.FLT_VOLUME_NOT_FOUND, "no volume '" + volumeName + "'"));
        boolean explicit = altitude != null;
        Altitude at = explicit ? Altitude.of(altitude) : f.altitude();
        String name = instanceName != null ? instanceName
                : explicit ? f.name() + " " + altitude : f.registration().defaultInstanceName();
        return f.attach(v, name, at, explicit, EnumSet.of(InstanceSetupFlag.MANUAL_ATTACHMENT));
    }

    /**
     * {@code FltDetachVolume} / {@code fltmc detach}: with no instance name, the filter's highest instance
     * on the volume. Query-teardown decides; a filter without one cannot be detached
     * ({@link NtStatus#FLT_DO_NOT_DETACH}). Then a teardown with reason MANUAL.
     */
    public NtStatus detach(String filterName, String volumeName, String instanceName) {
        LifecycleEvent event = new LifecycleEvent();
        event.begin();
        NtStatus s = detach0(filterName, volumeName, instanceName);
        lifecycle(event, "detach", filterName, instanceName, volumeName, s);
        return s;
    }

    private NtStatus detach0(String filterName, String volumeName, String instanceName) {
        Filter f = filter(filterName).orElse(null);
        if (f == null) {
            return NtStatus.FLT_FILTER_NOT_FOUND;
        }
        if (!volumes.containsKey(volumeName)) {
            return NtStatus.FLT_VOLUME_NOT_FOUND;
        }
        Instance target = null;
        for (Instance i : volumes.get(volumeName).members()) {
            if (i.filter() == f && !i.isTornDown() && (instanceName == null ? target == null
                    || i.altitude().compareTo(target.altitude()) > 0 : i.name().equals(instanceName))) {
                target = i;
            }
        }
        if (target == null) {
            return NtStatus.FLT_INSTANCE_NOT_FOUND;
        }
        Instance detaching = target;
        if (CallbackFrame.current().isInside(o -> o == detaching)) {
            f.misuse(Diagnostic.Kind.SELF_DEADLOCK, "detach of instance '" + target.name() + "' requested from its own callback; refused (it would wait for itself)");
            return NtStatus.POSSIBLE_DEADLOCK;
        }
        if (!target.isAttached() || f.state().compareTo(Filter.State.DRAINING) >= 0) {
            return NtStatus.FLT_DELETING_OBJECT;
        }
        if (f.registration().queryTeardown() == null) {
            return NtStatus.FLT_DO_NOT_DETACH;
        }
        NtStatus verdict = f.callQueryTeardown(target);
        if (verdict.isFailure()) {
            return verdict;
        }
        Teardown teardown = Teardown.of(List.of(target), TeardownReason.MANUAL);
        if (!teardown.claimedAll()) {
            return NtStatus.FLT_DELETING_OBJECT; // another teardown has it
        }
        teardown.run();
        return NtStatus.SUCCESS;
    }

    // ---- listing (fltmc filters / instances / volumes) -------------------------------------------

    /** A row of {@code fltmc filters}. */
    public record FilterInfo(String name, int instances, String altitude, int frame, Filter.State state,
                             long callbackFailures) {
    }

    /** A row of {@code fltmc instances}. */
    public record InstanceInfo(String filter, String volume, String altitude, String instance, int frame) {
    }

    /** A row of {@code fltmc volumes}; {@code openPastFilters}: {@link Volume#dataBypass()}. */
    /** A volume as {@code fltmc volumes} shows it; {@code notes} are its front end's own lines. */
    public record VolumeInfo(String name, String fileSystemType, int instances, List<String> openPastFilters, List<String> notes) {
    }

    private List<Filter> loadedFilters() {
        List<Filter> list = new ArrayList<>();
        for (DriverSlot s : slots.values()) {
            Filter f = s.filter;
            if (f != null && f.state() != Filter.State.UNREGISTERED) { // one that unregistered by itself is gone
                list.add(f);
            }
        }
        list.sort(Comparator.comparing(Filter::altitude).reversed());
        return list;
    }

    /** The loaded filters, highest altitude first. */
    public List<FilterInfo> filters() {
        return loadedFilters().stream().map(f -> new FilterInfo(f.name(), f.instances().size(),
                f.altitude().toString(), 0, f.state(), f.callbackFailures())).toList();
    }

    /** Every attached instance, by volume, highest altitude first. */
    public List<InstanceInfo> instances() {
        List<InstanceInfo> list = new ArrayList<>();
        for (Volume v : volumes.values().stream().sorted(Comparator.comparing(Volume::name)).toList()) {
            for (Instance i : v.instances()) {
                list.add(new InstanceInfo(i.filter().name(), v.name(), i.altitude().toString(), i.name(), 0));
            }
        }
        return list;
    }

    public List<VolumeInfo> volumes() {
        return volumes.values().stream().sorted(Comparator.comparing(Volume::name))
                .map(v -> new VolumeInfo(v.name(), v.fileSystemType(), v.instances().size(), List.copyOf(v.dataBypass()),
                        List.copyOf(v.frontEndNotes())))
                .toList();
    }

    /** The manager's recent reports: misuse by filters and what it did about it. */
    public List<Diagnostic> diagnostics() {
        return diagnostics.snapshot();
    }

    // ---- shutdown (decision 10) ------------------------------------------------------------------

    /**
     * Closes the manager: presents {@code SHUTDOWN} on every volume, unloads every filter (mandatory,
     * highest altitude first; a filter that cannot take a mandatory unload is unregistered by the manager
     * without its callback, and reported), then dismounts every volume. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Volume v : mountedVolumes()) {
            v.perform(new CallbackData(null, new IoParameters.Shutdown()));
        }
        for (Filter f : loadedFilters()) {
            NtStatus s = unloadFilter(f.name(), UnloadMode.MANDATORY);
            if (s.isFailure() && f.state() != Filter.State.UNREGISTERED) {
                diagnostics.report(Diagnostic.Kind.FORCED_UNREGISTER, f.name(), "closing: mandatory unload gave " + s
                        + "; the manager unregisters the filter without its unload callback");
                f.closeServerPorts();
                f.unregister(TeardownReason.MANDATORY_FILTER_UNLOAD);
                DriverSlot slot = slots.get(key(f.name()));
                slot.lock.lock();
                try {
                    slot.filter = null;
                } finally {
                    slot.lock.unlock();
                }
            }
        }
        for (String name : List.copyOf(volumes.keySet())) {
            dismountVolume(name);
        }
        workers.shutdown();
        if (clockReleased.compareAndSet(false, true)) {
            CoarseClock.release();
        }
    }
}
