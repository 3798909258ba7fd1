package dev.altitude.core;

import dev.altitude.core.events.LifecycleEvent;
import dev.altitude.core.events.PortMessageEvent;
import dev.altitude.core.events.UnloadWaitEvent;

import dev.altitude.core.frame.CallbackFrame;
import dev.altitude.core.frame.CallbackOwner;
import dev.altitude.core.rundown.Waits;
import dev.altitude.core.wire.PortWire;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A registered minifilter ({@code PFLT_FILTER}). Made by {@link FilterManager#registerFilter} inside a
 * driver entry; {@link #startFiltering()} attaches it and starts presenting operations;
 * {@link #unregister()} takes it apart.
 *
 * <h2>The unload path</h2>
 * {@link FilterManager#unloadFilter} decides whether the unload callback is called (spec §2.2, decisions
 * 1, 2, 9, 11) and what its result means (§2.4, decision 8). Inside the callback the filter closes its
 * server ports and calls {@link #unregister()}, which in this order (decision 4):
 * <ol>
 * <li>marks the filter deleting: new references, attaches and ports fail with
 * {@link NtStatus#FLT_DELETING_OBJECT}, and a second unload request gets the same;</li>
 * <li>stops presenting new operations: every instance leaves its volume's stack and no pre-operation
 * starts;</li>
 * <li>calls teardown-start on every instance, then drains each (waits for running and pended operations,
 * calls every owed post-operation with the draining flag, exactly once, waits for the filter's own I/O),
 * then calls teardown-complete on each, waits for references on each and deletes its contexts;</li>
 * <li>deletes the filter's volume contexts;</li>
 * <li>waits for every remaining rundown holder: contexts still referenced, object references, work items,
 * files the filter opened, attaches in progress;</li>
 * <li>returns. After that no callback of this filter runs again.</li>
 * </ol>
 * Every wait is watched: past the manager's warning threshold it logs the "why won't it unload?" report
 * ({@link FilterManager#explain}), once per threshold.
 */
public final class Filter implements CallbackOwner {

    /** The filter's life cycle (spec §2.6). */
    public enum State {
        /** Registered by the driver entry; no operation is presented yet. */
        REGISTERED,
        /** Started: attached where it may be, operations presented. */
        FILTERING,
        /** Unregister has begun: nothing new is accepted; instances are torn down. */
        DRAINING,
        /** Unregister returned: no callback runs again. */
        UNREGISTERED
    }

    private final FilterManager manager;
    private final FilterManager.DriverSlot slot;
    private final FilterRegistration registration;
    private final Altitude altitude;
    final Callbacks.PreOperation[] pre = new Callbacks.PreOperation[MajorFunction.COUNT];
    final Callbacks.PostOperation[] post = new Callbacks.PostOperation[MajorFunction.COUNT];
    /** Per major function, the {@link OperationFlag} bits of its row: the reads and writes it does not want. */
    final byte[] skips = new byte[MajorFunction.COUNT];

    private volatile State state = State.REGISTERED;
    /** Guarded by the slot's lock. */
    private final List<Instance> instances = new ArrayList<>();
    /**
     * The filter's rundown holders: attaches in progress, live contexts, object references, work items,
     * open files, I/O the filter issued. Unregister waits for it last.
     */
    final HolderSet holders = new HolderSet();
    /** The filter's contexts and their rules. */
    final Contexts contexts;
    /** Every server port the filter created and that may still have connections. */
    private final Set<ServerPort> serverPorts = ConcurrentHashMap.newKeySet();
    /** What unregister is waiting for now, and since when (for the report). */
    private volatile String phase;
    private volatile long phaseSince;
    /** The unregistration under way or done (set with DRAINING): an attach that loses to it tears down for its reason. */
    private volatile Unregistration unregistration;
    private final LongAdder callbackFailures = new LongAdder();

    Filter(FilterManager manager, FilterManager.DriverSlot slot, FilterRegistration registration, Altitude altitude) {
        this.manager = manager;
        this.slot = slot;
        this.registration = registration;
        this.altitude = altitude;
        this.contexts = new Contexts(this, registration.contexts());
        for (FilterRegistration.Operation op : registration.operations()) {
            int i = op.majorFunction().ordinal();
            if (op.pre() != null) {
                pre[i] = op.pre();
            }
            if (op.post() != null) {
                post[i] = op.post();
            }
            for (OperationFlag f : op.flags()) {
                skips[i] |= (byte) f.value();
            }
        }
    }

    public String name() {
        return slot.name;
    }

    public State state() {
        return state;
    }

    /** The default instance's altitude. */
    public Altitude altitude() {
        return altitude;
    }

    public FilterRegistration registration() {
        return registration;
    }

    public FilterManager manager() {
        return manager;
    }

    /** The instances not yet torn down. */
    public List<Instance> instances() {
        slot.lock.lock();
        try {
            return List.copyOf(instances);
        } finally {
            slot.lock.unlock();
        }
    }

    /** How many callbacks of this filter threw. */
    public long callbackFailures() {
        return callbackFailures.sum();
    }

    /**
     * {@code FltStartFiltering}: attaches to every mounted volume (unless automatic attachment is
     * suppressed) and starts presenting operations. A second call is {@link NtStatus#INVALID_PARAMETER};
     * after unregister began, {@link NtStatus#FLT_DELETING_OBJECT}.
     */
    public NtStatus startFiltering() {
        slot.lock.lock();
        try {
            switch (state) {
                case FILTERING -> {
                    return NtStatus.INVALID_PARAMETER;
                }
                case DRAINING, UNREGISTERED -> {
                    return NtStatus.FLT_DELETING_OBJECT;
                }
                case REGISTERED -> state = State.FILTERING;
            }
        } finally {
            slot.lock.unlock();
        }
        if (registration.automaticAttachment()) {
            for (Volume v : manager.mountedVolumes()) {
                manager.attachAutomatically(this, v, EnumSet.of(InstanceSetupFlag.AUTOMATIC_ATTACHMENT));
            }
        }
        return NtStatus.SUCCESS;
    }

    /**
     * {@code FltUnregisterFilter}: see the class comment for the order. Returns once every instance is
     * torn down and every rundown reference released; from then on no callback of this filter runs.
     *
     * @throws NtStatusException {@link NtStatus#POSSIBLE_DEADLOCK} when called from one of this filter's
     *                           own operation or instance callbacks, which unregister would wait for
     */
    public void unregister() {
        unregister(slot.unloadingMode == UnloadMode.MANDATORY ? TeardownReason.MANDATORY_FILTER_UNLOAD
                : TeardownReason.FILTER_UNLOAD);
    }

    /**
     * Unregisters with instances torn down for {@code reason}: the manager passes it when it unregisters a
     * filter itself; the public form takes it from the unload request under way (mandatory or not).
     */
    void unregister(TeardownReason reason) {
        if (CallbackFrame.current().isInside(this::owns)) {
            misuse(Diagnostic.Kind.SELF_DEADLOCK, "unregister() called from one of the filter's own callbacks, which it "
                    + "would wait for; refused, at " + Holder.where());
            throw new NtStatusException(NtStatus.POSSIBLE_DEADLOCK,
                    "filter '" + name() + "' cannot unregister from inside its own callback");
        }
        new Unregistration(this, reason).run();
    }

    /**
     * Step 1 of an {@link Unregistration}: the filter is deleting from now on. Returns the instances attached
     * at that moment; null (after waiting for it to end) if another unregistration began first.
     */
    List<Instance> beginDraining(Unregistration u) {
        slot.lock.lock();
        try {
            if (state == State.UNREGISTERED) {
                misuse(Diagnostic.Kind.REPEATED_UNREGISTER, "unregister() called again after the filter was unregistered; "
                        + "ignored, at " + Holder.where());
                return null;
            }
            if (state == State.DRAINING) {
                while (state != State.UNREGISTERED) {
                    slot.changed.awaitUninterruptibly();
                }
                return null;
            }
            unregistration = u;
            state = State.DRAINING;
            phaseSince = System.nanoTime();
            slot.changed.signalAll();
            return List.copyOf(instances);
        } finally {
            slot.lock.unlock();
        }
    }

    /** Step 3 of an {@link Unregistration}: every connected client port disconnected (an open port is misuse). */
    void disconnectServerPortsForUnload() {
        for (ServerPort port : List.copyOf(serverPorts)) {
            if (!port.isClosed()) {
                misuse(Diagnostic.Kind.OPEN_PORT_AT_UNREGISTER, "server port '" + port.name() + "' is still open at "
                        + "unregister; close it in the unload callback before unregister (spec §4.5): unregister waits for it");
            }
            port.disconnectAllForUnload();
        }
    }

    /** Step 7 of an {@link Unregistration}: no callback after this. */
    void finishUnregistering() {
        phase = null;
        slot.lock.lock();
        try {
            state = State.UNREGISTERED;
            slot.changed.signalAll();
        } finally {
            slot.lock.unlock();
        }
        if (manager.probe != null) {
            manager.probe.unregistered(this);
        }
    }

    /** Waits until an unregister begun elsewhere has finished. */
    void awaitUnregistered() {
        slot.lock.lock();
        try {
            while (state != State.UNREGISTERED) {
                slot.changed.awaitUninterruptibly();
            }
        } finally {
            slot.lock.unlock();
        }
    }

    // ---- attach (called by the manager) --------------------------------------------------------

    /**
     * Attaches to a volume: reserve name and altitude, instance setup (which may refuse), then into the
     * stack. An attach that finds the filter deleting after its setup tears the new instance down itself,
     * so unregister (which waits for it through {@link #holders}) misses no teardown callback.
     */
    Instance attach(Volume volume, String instanceName, Altitude at, boolean explicitAltitude,
                    Set<InstanceSetupFlag> flags) {
        LifecycleEvent event = new LifecycleEvent();
        event.begin();
        NtStatus status = NtStatus.UNSUCCESSFUL;
        try {
            Instance i = attach0(volume, instanceName, at, explicitAltitude, flags);
            status = i.attachStatus();
            return i;
        } catch (NtStatusException e) {
            status = e.status();
            throw e;
        } finally {
            event.end();
            if (event.shouldCommit()) {
                event.action = "attach";
                event.filter = name();
                event.instance = instanceName;
                event.volume = volume.name();
                event.status = status.name();
                event.commit();
            }
        }
    }

    private Instance attach0(Volume volume, String instanceName, Altitude at, boolean explicitAltitude,
                             Set<InstanceSetupFlag> flags) {
        Holder attaching = new Holder(HolderKind.ATTACH_IN_PROGRESS, null, "attach of '" + instanceName + "' to "
                + volume.name(), verifier());
        if (!holders.tryAdd(attaching)) {
            throw new NtStatusException(NtStatus.FLT_DELETING_OBJECT, "filter '" + name() + "' is unloading");
        }
        try {
            State s = state;
            if (s == State.REGISTERED) {
                throw new NtStatusException(NtStatus.FLT_FILTER_NOT_READY,
                        "filter '" + name() + "' has not started filtering");
            }
            if (s != State.FILTERING) {
                throw new NtStatusException(NtStatus.FLT_DELETING_OBJECT, "filter '" + name() + "' is unloading");
            }
            if (!volume.attaches.acquire()) {
                throw new NtStatusException(NtStatus.FLT_DELETING_OBJECT, "volume " + volume.name() + " is dismounting");
            }
            try {
                Instance inst = new Instance(this, volume, instanceName, at);
                NtStatus reserved = volume.reserve(inst, explicitAltitude);
                if (reserved.isFailure()) {
                    throw new NtStatusException(reserved, "cannot attach '" + instanceName + "' at " + at + " on "
                            + volume.name());
                }
                NtStatus setup = callSetup(inst, flags, volume);
                if (setup.isFailure()) {
                    volume.forget(inst);
                    throw new NtStatusException(setup, "instance setup of '" + name() + "' refused " + volume.name());
                }
                boolean attached = false;
                slot.lock.lock();
                try {
                    if (state == State.FILTERING) {
                        instances.add(inst);
                        volume.insertIntoStack(inst);
                        attached = true;
                    }
                } finally {
                    slot.lock.unlock();
                }
                if (attached) {
                    volume.noteDataBypass(inst);
                    inst.noteUndelivered();
                    return inst;
                }
                // unregister began during setup: this instance was set up, so it gets its teardown
                Teardown.of(List.of(inst), unregistration.reason()).run();
                throw new NtStatusException(NtStatus.FLT_DELETING_OBJECT, "filter '" + name() + "' is unloading");
            } finally {
                volume.attaches.release();
            }
        } finally {
            holders.remove(attaching);
        }
    }

    void forget(Instance inst) {
        slot.lock.lock();
        try {
            instances.remove(inst);
        } finally {
            slot.lock.unlock();
        }
    }

    // ---- references and work items ---------------------------------------------------------------

    /** {@code FltObjectReference(filter)}; {@link NtStatus#FLT_DELETING_OBJECT} once unregister began. */
    public ObjectReference reference() {
        checkNotUnregistered("reference the filter");
        Holder h = new Holder(HolderKind.OBJECT_REFERENCE, null, "reference on filter '" + name() + "'", verifier());
        if (!holders.tryAdd(h)) {
            throw new NtStatusException(NtStatus.FLT_DELETING_OBJECT, "filter '" + name() + "' is unloading");
        }
        return new ObjectReference(holders, h, this);
    }

    /**
     * {@code FltQueueGenericWorkItem} against the filter: runs {@code work} on a worker thread; unregister
     * does not return before it has. {@link NtStatus#FLT_DELETING_OBJECT} once unregister began (the work
     * never runs).
     */
    public NtStatus queueWorkItem(Runnable work) {
        if (state == State.UNREGISTERED) {
            return afterUnregister("queue a work item");
        }
        Holder h = new Holder(HolderKind.WORK_ITEM, null, "work item " + work, verifier());
        if (!holders.tryAdd(h)) {
            return NtStatus.FLT_DELETING_OBJECT;
        }
        return runWorkItem(this, work, () -> holders.remove(h));
    }

    /**
     * Runs an already accounted work item on a worker thread, inside a callback frame of this filter;
     * {@code release} gives its rundown hold back when it returns (or when it cannot be queued).
     */
    NtStatus runWorkItem(CallbackOwner owner, Runnable work, Runnable release) {
        try {
            manager.workers().execute(() -> {
                try {
                    guarded(owner, "work item threw", work);
                } finally {
                    release.run();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            release.run();
            return NtStatus.FLT_DELETING_OBJECT;
        }
        return NtStatus.SUCCESS;
    }

    // ---- communication ports ------------------------------------------------------------------------

    /** {@link #createCommunicationPort(String, int, PortCallbacks, PortAccess)} with {@link PortAccess#owner()}. */
    public ServerPort createCommunicationPort(String name, int maxConnections, PortCallbacks callbacks) {
        return createCommunicationPort(name, maxConnections, callbacks, PortAccess.owner());
    }

    /**
     * {@code FltCreateCommunicationPort}: a named server port, listening at once (in this JVM, and on a
     * Unix socket if the manager has a port directory). Errors: {@link NtStatus#INVALID_PARAMETER} (name
     * not 1–255 of {@code [A-Za-z0-9._-]} after an optional leading backslash, {@code maxConnections} not
     * above 0, connect or disconnect notification missing), {@link NtStatus#OBJECT_NAME_COLLISION},
     * {@link NtStatus#FLT_DELETING_OBJECT} once unregister began.
     */
    public ServerPort createCommunicationPort(String name, int maxConnections, PortCallbacks callbacks, PortAccess access) {
        checkNotUnregistered("create a communication port");
        String portName = FilterManager.portName(name);
        if (portName == null || maxConnections <= 0 || callbacks == null || !callbacks.isValid() || access == null) {
            throw new NtStatusException(NtStatus.INVALID_PARAMETER, "invalid communication port '" + name + "'");
        }
        ServerPort port = new ServerPort(this, portName, maxConnections, callbacks, access);
        if (!holders.tryAdd(port.holder())) {
            throw new NtStatusException(NtStatus.FLT_DELETING_OBJECT, "filter '" + name() + "' is unloading");
        }
        try {
            manager.publishPort(port);
        } catch (RuntimeException e) {
            holders.remove(port.holder());
            throw e;
        }
        serverPorts.add(port);
        if (manager.probe != null) {
            manager.probe.portCreated(this, portName);
        }
        return port;
    }

    /** {@code FltSendMessage} without a reply: {@link #sendMessage(ClientPort, byte[], int, Duration)} with capacity 0. */
    public NtStatus sendMessage(ClientPort client, byte[] message, Duration timeout) {
        return sendMessage(client, message, 0, timeout).status();
    }

    /**
     * {@code FltSendMessage}: sends {@code message} to the user side of {@code client}. With
     * {@code replyCapacity} 0 it returns once a getter took the message; otherwise it waits for the reply
     * (at most {@code replyCapacity} bytes, else {@link NtStatus#BUFFER_OVERFLOW} and the reply cut).
     * {@code timeout} bounds delivery plus reply: null waits forever, zero does not wait; on expiry
     * {@link NtStatus#TIMEOUT} (a success code, as on Windows) and a later reply finds no waiter.
     * {@link NtStatus#PORT_DISCONNECTED} if {@code client} is null, closed or disconnected, or becomes so
     * while waiting.
     */
    public PortResult sendMessage(ClientPort client, byte[] message, int replyCapacity, Duration timeout) {
        return sendMessage(client, message, replyCapacity, timeout, null);
    }

    /**
     * {@link #sendMessage(ClientPort, byte[], int, Duration)} lending {@code file} (from {@link Volume#lendFile}) to
     * the client with the message, so it reads the file itself: scanning by descriptor. The file is the port's from
     * the call on: a {@link HolderKind#LENT_FILE} holder until the client closes it or the message ends (the reply,
     * the timeout, the disconnect), and closed then; the filter does not close it. {@link NtStatus#NOT_SUPPORTED}
     * on a port created without {@link PortAccess#lendingFiles()}. A null {@code file} sends no file.
     */
    public PortResult sendMessage(ClientPort client, byte[] message, int replyCapacity, Duration timeout, LentFile file) {
        if (state == State.UNREGISTERED) {
            afterUnregister("send a message");
            closeLent(file);
            return PortResult.of(NtStatus.PORT_DISCONNECTED);
        }
        if (message == null || replyCapacity < 0 || replyCapacity > PortWire.MAX_MESSAGE
                || message.length > PortWire.MAX_MESSAGE || (timeout != null && timeout.isNegative())) {
            closeLent(file);
            return PortResult.of(NtStatus.INVALID_PARAMETER);
        }
        if (client == null || client.server.filter != this) {
            closeLent(file);
            return PortResult.of(NtStatus.PORT_DISCONNECTED);
        }
        PortMessageEvent event = new PortMessageEvent();
        event.begin();
        PortResult r = client.send(message, replyCapacity, timeout, file);
        event.end();
        if (event.shouldCommit()) {
            event.filter = name();
            event.port = client.portName();
            event.bytes = message.length;
            event.replyBytes = r.data() == null ? 0 : r.data().length;
            event.status = r.status().name();
            event.commit();
        }
        return r;
    }

    private static void closeLent(LentFile file) {
        if (file != null) {
            file.close();
        }
    }

    NtStatus callPortConnect(PortCallbacks.Connect cb, ClientPort client, byte[] context, PeerIdentity peer) {
        return status(guarded(this, "connect notification of port '" + client.portName() + "' threw; connection refused",
                () -> cb.onConnect(client, context.clone(), peer), NtStatus.UNHANDLED_EXCEPTION));
    }

    void callPortDisconnect(PortCallbacks.Disconnect cb, ClientPort client) {
        if (state == State.UNREGISTERED) {
            misuse(Diagnostic.Kind.INTERNAL_ERROR, "BUG: disconnect notification after unregister returned; not called");
            return;
        }
        if (manager.probe != null) {
            manager.probe.clientDisconnected(this, client);
        }
        guarded(this, "disconnect notification of port '" + client.portName() + "' threw", () -> cb.onDisconnect(client));
    }

    PortResult callPortMessage(PortCallbacks.MessageHandler cb, ClientPort client, byte[] input, int outputCapacity) {
        Holder running = new Holder(HolderKind.RUNNING_CALLBACK, null,
                "message notification of port '" + client.portName() + "'", false);
        if (!holders.tryAdd(running)) {
            return PortResult.of(NtStatus.PORT_DISCONNECTED);
        }
        try {
            return guarded(this, "message notification of port '" + client.portName() + "' threw", () -> {
                try {
                    return PortResult.fitted(cb.onMessage(client, input), outputCapacity);
                } catch (NtStatusException e) {
                    return PortResult.of(e.status()); // a status the handler chose, not a failure of its code
                }
            }, PortResult.of(NtStatus.UNHANDLED_EXCEPTION));
        } finally {
            holders.remove(running);
        }
    }

    /** The manager unregisters a filter itself (mandatory unload without unregister): it closes the ports too. */
    void closeServerPorts() {
        serverPorts.forEach(ServerPort::close);
    }

    // ---- contexts ---------------------------------------------------------------------------------

    /**
     * {@code FltAllocateContext}: a new context holding {@code value}, reference count 1 (the returned
     * reference). The type must be registered ({@link NtStatus#FLT_CONTEXT_ALLOCATION_NOT_FOUND});
     * once unregister began, {@link NtStatus#FLT_DELETING_OBJECT}. The rules: {@link Contexts}.
     */
    public <T> Context<T> allocateContext(ContextType type, T value) {
        return contexts.allocate(type, value);
    }

    boolean isUnregistered() {
        return state == State.UNREGISTERED;
    }

    /** Global state its callbacks use, watched by the verifier for being freed too early ({@link FilterGlobal}). */
    public <T> FilterGlobal<T> global(String name, T value) {
        return new FilterGlobal<>(this, name, value);
    }

    // ---- rules for calls after unregister ---------------------------------------------------------

    void checkNotUnregistered(String what) {
        if (state == State.UNREGISTERED) {
            afterUnregister(what);
            throw new NtStatusException(NtStatus.FLT_DELETING_OBJECT, "filter '" + name() + "' is unregistered");
        }
    }

    NtStatus afterUnregister(String what) {
        misuse(Diagnostic.Kind.CALL_AFTER_UNREGISTER, "tried to " + what + " after unregister returned, at " + Holder.where());
        return NtStatus.FLT_DELETING_OBJECT;
    }

    boolean verifier() {
        return manager.verifier();
    }

    // ---- why won't it unload? -------------------------------------------------------------------

    /**
     * Waits without bound, as unregister must, but reports what it waits for each time the manager's warning
     * threshold passes, naming the phase ({@link Waits#watched}).
     */
    void await(String what, Waits.TimedWait wait) {
        String previous = phase;
        phase = what;
        UnloadWaitEvent event = new UnloadWaitEvent();
        if (event.isEnabled()) {
            List<UnloadReport.Entry> held = explain().holders();
            event.holderCount = held.size();
            StringBuilder b = new StringBuilder();
            for (UnloadReport.Entry e : held) {
                b.append(e.kind()).append(e.instance() == null ? "" : " on '" + e.instance() + "'").append(": ")
                        .append(e.detail()).append(" (age ").append(e.age().toMillis()).append(" ms)\n");
            }
            event.holders = b.toString();
            event.filter = name();
            event.phase = what;
        }
        event.begin();
        try {
            Waits.watched(wait, manager.unloadWarningMillis(),
                    () -> manager.diagnostics.report(Diagnostic.Kind.WAITING, name(), explain().toText()));
        } finally {
            phase = previous;
            event.commit();
        }
    }

    /** The state and every holder now, oldest first. */
    UnloadReport explain() {
        long now = System.nanoTime();
        List<UnloadReport.Entry> entries = new ArrayList<>();
        for (Instance inst : instances()) {
            inst.collectHolders(entries, now);
        }
        for (Holder h : holders.snapshot()) {
            if (h.kind == HolderKind.CONTEXT_REFERENCE) {
                entries.add(contexts.reportEntry(h, now));
            } else {
                entries.add(h.toEntry(now));
            }
        }
        entries.sort(Comparator.comparing(UnloadReport.Entry::age).reversed());
        String p = phase;
        return new UnloadReport(name(), state, p, p == null ? null : Duration.ofNanos(now - phaseSince), entries);
    }

    // ---- calling the filter's own code safely --------------------------------------------------

    private NtStatus callSetup(Instance inst, Set<InstanceSetupFlag> flags, Volume volume) {
        Callbacks.InstanceSetup cb = registration.instanceSetup();
        if (cb == null) {
            return NtStatus.SUCCESS;
        }
        return status(guarded(inst, "instance setup on " + volume.name() + " threw; no instance",
                () -> cb.onInstanceSetup(inst, Set.copyOf(flags), volume.fileSystemType()), NtStatus.UNHANDLED_EXCEPTION));
    }

    NtStatus callQueryTeardown(Instance inst) {
        Callbacks.InstanceQueryTeardown cb = registration.queryTeardown();
        return status(guarded(inst, "query-teardown of '" + inst.name() + "' threw; detach refused",
                () -> cb.onQueryTeardown(inst), NtStatus.UNHANDLED_EXCEPTION));
    }

    void callTeardown(Callbacks.InstanceTeardown cb, Instance inst, TeardownReason reason, String which) {
        if (cb == null) {
            return;
        }
        guarded(inst, which + " of '" + inst.name() + "' threw; the teardown goes on", () -> cb.onTeardown(inst, reason));
    }

    /** The unload callback runs outside the frame: the manager knows it by the unloading thread it recorded. */
    NtStatus callUnload(Set<UnloadFlag> flags) {
        NtStatus s = status(guarded(null, "unload callback threw; counted as a failure status",
                () -> registration.unloadCallback().onUnload(flags), NtStatus.UNHANDLED_EXCEPTION));
        if (manager.probe != null) {
            manager.probe.unloadCallbackReturned(this, flags, s);
        }
        return s;
    }

    /**
     * The one guard around the filter's own code (all but the per-operation callbacks, which {@link Instance}
     * calls on the hot path): it runs inside a callback frame of {@code owner} (this filter or one of its
     * instances; none for null), so a call that would wait for it is refused; a throw is counted and reported
     * with {@code failure} and answered {@code onThrow}.
     */
    /** Is {@code owner} this filter or one of its instances (a callback of which an unload of it would wait for)? */
    boolean owns(CallbackOwner owner) {
        return owner == this || owner instanceof Instance i && i.filter() == this;
    }

    <T> T guarded(CallbackOwner owner, String failure, java.util.function.Supplier<T> code, T onThrow) {
        if (manager.probe != null) {
            int threw = failure.indexOf(" threw");
            manager.probe.callback(this, threw < 0 ? failure : failure.substring(0, threw));
        }
        CallbackFrame frame = owner == null ? null : CallbackFrame.current();
        int depth = frame == null ? 0 : frame.enter(owner);
        try {
            return code.get();
        } catch (RuntimeException | LinkageError | AssertionError e) {
            callbackFailed(e, failure);
            return onThrow;
        } finally {
            if (frame != null) {
                frame.exit(depth);
            }
        }
    }

    void guarded(CallbackOwner owner, String failure, Runnable code) {
        guarded(owner, failure, () -> {
            code.run();
            return null;
        }, null);
    }

    /** A callback's status: a null one is the manager's internal error, as the contract says. */
    private static NtStatus status(NtStatus s) {
        return s == null ? NtStatus.FLT_INTERNAL_ERROR : s;
    }

    void callbackFailed(Throwable e, String message) {
        callbackFailures.increment();
        manager.diagnostics.report(Diagnostic.Kind.CALLBACK_EXCEPTION, name(), message + ": " + e + thrownAt(e), e);
    }

    /** Where the filter's own code was when {@code e} was thrown (its first frame outside Altitude), or nothing. */
    private static String thrownAt(Throwable e) {
        for (StackTraceElement s : e.getStackTrace()) {
            if (!s.getClassName().startsWith("dev.altitude.core.") && !s.getClassName().startsWith("java.")
                    && !s.getClassName().startsWith("jdk.")) {
                return ", in " + s.getClassName() + "." + s.getMethodName() + "(" + s.getFileName() + ":" + s.getLineNumber() + ")";
            }
        }
        return "";
    }

    void misuse(Diagnostic.Kind kind, String message) {
        manager.diagnostics.report(kind, name(), message);
    }

    @Override
    public String toString() {
        return "Filter[" + name() + " @" + altitude + " " + state + "]";
    }
}
