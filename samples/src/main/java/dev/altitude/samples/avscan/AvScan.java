package dev.altitude.samples.avscan;

import dev.altitude.core.CallbackData;
import dev.altitude.core.ClientPort;
import dev.altitude.core.Context;
import dev.altitude.core.ContextType;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.FileObject;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.Instance;
import dev.altitude.core.IoParameters;
import dev.altitude.core.LentFile;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import dev.altitude.core.PeerIdentity;
import dev.altitude.core.PortAccess;
import dev.altitude.core.PortCallbacks;
import dev.altitude.core.PortResult;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.PreOpStatus;
import dev.altitude.core.RelatedObjects;
import dev.altitude.core.ServerPort;
import dev.altitude.core.UnloadFlag;
import dev.altitude.samples.scanner.Scanner;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * avscan: an anti-virus filter whose engine runs in user mode and reads each file itself. On an open of a file,
 * and on the close of a handle that wrote, it lends the client a read-only descriptor of the file below the volume
 * ({@link dev.altitude.core.Volume#lendFile}) with a scan request over {@value AvScanMessages#PORT}; an infected
 * file's open is cancelled with {@code STATUS_ACCESS_DENIED}. No file content goes through the messages, so the
 * engine reads as much of the file as it needs, at the speed of the file system, and the client's own reads are
 * not I/O on the volume (there is nothing of its own to exclude).
 *
 * <p>The verdict is kept in a stream context: another open of the file while it is open asks no one, a write (or a
 * truncate) through any handle makes it stale, and the close of the handle that wrote rescans it. A verdict that
 * arrives after a write began is not kept. The cache lasts while the file is open somewhere (stream contexts go
 * with the stream's last close).
 *
 * <p>A scan waits at most {@code timeout} (parameter, default {@value #DEFAULT_TIMEOUT}); then {@code onTimeout}
 * decides ({@code allow}, the default, or {@code deny}) and the client is told to abort that scan. The unload closes
 * the server port first: every scan waiting ends at once (the open goes on, unscanned), the client's descriptors are
 * closed and its engine's reads fail, and the unload never waits for an engine. Parameter {@code portUsers}
 * (comma-separated) lets those users connect as well as root and the owner: a lent file can be read by the client
 * whatever its own rights, so give it to the scanner's user only.
 */
public final class AvScan implements FilterDriver {
    public static final String NAME = "avscan";
    static final String DEFAULT_TIMEOUT = "10s";

    /** The verdict of a stream, and its revision: each write begins a new one. */
    static final class Verdict {
        enum State { UNKNOWN, CLEAN, INFECTED }

        private State state = State.UNKNOWN;
        private long revision;

        synchronized State state() {
            return state;
        }

        synchronized long revision() {
            return revision;
        }

        synchronized void modified() {
            revision++;
            state = State.UNKNOWN;
        }

        /** Keeps a verdict reached on revision {@code of}, unless a write came since. */
        synchronized void decided(long of, State s) {
            if (revision == of) {
                state = s;
            }
        }
    }

    /** A handle opened for writing: set once it wrote, for the rescan on its close. */
    static final class Handle {
        volatile boolean wrote;
    }

    /** What a scan came to. */
    enum Outcome { CLEAN, INFECTED, TIMED_OUT, ABORTED, UNSCANNED }

    private Filter filter;
    private ServerPort port;
    private volatile ClientPort client;
    private Duration timeout;
    private boolean failClosed;
    private final AtomicLong scanIds = new AtomicLong();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        PortAccess access;
        try {
            timeout = Scanner.parseTimeout(config.parameter("timeout").orElse(DEFAULT_TIMEOUT));
            failClosed = switch (config.parameter("onTimeout").orElse("allow")) {
                case "allow" -> false;
                case "deny" -> true;
                default -> throw new IllegalArgumentException("onTimeout is allow or deny, not " + config.parameter("onTimeout").get());
            };
            access = config.parameter("portUsers").map(u -> PortAccess.users(u.split(","))).orElse(PortAccess.owner()).lendingFiles();
        } catch (IllegalArgumentException e) {
            System.getLogger(NAME).log(System.Logger.Level.ERROR, "avscan: " + e.getMessage());
            return NtStatus.INVALID_PARAMETER;
        }
        filter = manager.registerFilter(FilterRegistration.builder(NAME)
                .altitude("328000")
                .context(ContextType.STREAM, (value, type) -> { })
                .context(ContextType.STREAM_HANDLE, (value, type) -> { })
                .onOperation(MajorFunction.CREATE, (data, objects) -> PreOpStatus.SUCCESS_WITH_CALLBACK, this::postCreate)
                .onPreOperation(MajorFunction.WRITE, this::preModify)
                .onPreOperation(MajorFunction.SET_INFORMATION, this::preModify)
                .onPreOperation(MajorFunction.CLEANUP, this::preCleanup)
                .onInstanceQueryTeardown(objects -> NtStatus.SUCCESS)
                .onUnload(this::unload)
                .build());
        try {
            port = filter.createCommunicationPort(AvScanMessages.PORT, 1, PortCallbacks.of(this::connect, this::disconnect), access);
        } catch (RuntimeException e) {
            filter.unregister();
            throw e;
        }
        NtStatus s = filter.startFiltering();
        if (s.isFailure()) {
            port.close();
            filter.unregister();
        }
        return s;
    }

    /** Closing the port first ends every scan waiting (the client is disconnected); then unregister drains. */
    private NtStatus unload(Set<UnloadFlag> flags) {
        port.close();
        filter.unregister();
        return NtStatus.SUCCESS;
    }

    private NtStatus connect(ClientPort c, byte[] context, PeerIdentity peer) {
        client = c;
        return NtStatus.SUCCESS;
    }

    private void disconnect(ClientPort c) {
        client = null;
        c.close();
    }

    // ---- scanning -----------------------------------------------------------------------------------

    /** One scan of {@code file} by the client, with the file lent to it; at most {@code timeout}. */
    private Outcome scan(Instance instance, FileObject file, byte reason) {
        ClientPort c = client;
        if (c == null) {
            return Outcome.UNSCANNED;
        }
        LentFile lent;
        try {
            lent = instance.volume().lendFile(file);
        } catch (NtStatusException e) {
            if (!e.status().equals(NtStatus.FILE_IS_A_DIRECTORY) && !e.status().equals(NtStatus.INVALID_PARAMETER)) {
                // (a directory, a device or a FIFO has no content to scan: not worth a warning)
                System.getLogger(NAME).log(System.Logger.Level.WARNING, "avscan: " + file.path() + " not scanned: " + e.getMessage());
            }
            return Outcome.UNSCANNED;
        }
        long id = scanIds.incrementAndGet();
        PortResult r = filter.sendMessage(c, AvScanMessages.scan(id, reason, file.path()), 1, timeout, lent);
        if (r.status().equals(NtStatus.SUCCESS) && r.data().length == 1) {
            return r.data()[0] == AvScanMessages.INFECTED ? Outcome.INFECTED : Outcome.CLEAN;
        }
        if (r.status().equals(NtStatus.TIMEOUT)) {
            // the engine is told to stop; a getter of the client's takes it if one waits within the second
            Thread.ofVirtual().name("avscan-abort").start(() -> filter.sendMessage(c, AvScanMessages.abort(id), 0,
                    Duration.ofSeconds(1)));
            System.getLogger(NAME).log(System.Logger.Level.WARNING, "avscan: no verdict on " + file.path() + " within "
                    + timeout + "; " + (failClosed ? "denied" : "allowed"));
            return Outcome.TIMED_OUT;
        }
        return Outcome.ABORTED; // the port closed (the unload) or the client went away
    }

    /** Scans and keeps what it found in the stream's verdict, unless a write came meanwhile. */
    private Outcome scanInto(Instance instance, FileObject file, byte reason, Verdict v) {
        long revision = v.revision();
        Outcome o = scan(instance, file, reason);
        if (o == Outcome.CLEAN || o == Outcome.INFECTED) {
            v.decided(revision, o == Outcome.CLEAN ? Verdict.State.CLEAN : Verdict.State.INFECTED);
        }
        return o;
    }

    private boolean denies(Outcome o) {
        return o == Outcome.INFECTED || (o == Outcome.TIMED_OUT && failClosed);
    }

    // ---- operations ---------------------------------------------------------------------------------

    private PostOpStatus postCreate(CallbackData data, RelatedObjects objects, Object context, boolean draining) {
        if (draining || data.status().isFailure() || client == null) {
            return PostOpStatus.FINISHED_PROCESSING;
        }
        IoParameters.Create create = data.parameters(IoParameters.Create.class);
        if (create.kind() != IoParameters.FileKind.FILE) {
            return PostOpStatus.FINISHED_PROCESSING;
        }
        Instance instance = objects.instance();
        try (Context<Verdict> v = verdictOf(instance, data.fileObject())) {
            if (v == null) {
                return PostOpStatus.FINISHED_PROCESSING; // the filter is unloading
            }
            Verdict.State known = v.value().state();
            boolean deny = known == Verdict.State.INFECTED
                    || (known == Verdict.State.UNKNOWN && denies(scanInto(instance, data.fileObject(), AvScanMessages.ON_OPEN, v.value())));
            if (deny) {
                instance.cancelFileOpen(data, NtStatus.ACCESS_DENIED);
                return PostOpStatus.FINISHED_PROCESSING;
            }
        }
        Set<IoParameters.Access> access = create.access();
        if (access.contains(IoParameters.Access.WRITE_DATA) || access.contains(IoParameters.Access.APPEND_DATA)) {
            try (Context<Handle> h = filter.allocateContext(ContextType.STREAM_HANDLE, new Handle())) {
                instance.setContext(ContextType.STREAM_HANDLE, data.fileObject(), h, Instance.SetMode.KEEP_IF_EXISTS);
            } catch (NtStatusException e) {
                if (!e.status().equals(NtStatus.FLT_DELETING_OBJECT)) {
                    throw e;
                }
            }
        }
        return PostOpStatus.FINISHED_PROCESSING;
    }

    /** The stream's verdict, made on its first open; null while the filter unloads. */
    private Context<Verdict> verdictOf(Instance instance, FileObject file) {
        Optional<Context<Verdict>> there = instance.getContext(ContextType.STREAM, file);
        if (there.isPresent()) {
            return there.get();
        }
        try {
            Context<Verdict> made = filter.allocateContext(ContextType.STREAM, new Verdict());
            Instance.SetResult<Verdict> set = instance.setContext(ContextType.STREAM, file, made, Instance.SetMode.KEEP_IF_EXISTS);
            if (set.existing() != null) { // another open made it first
                made.close();
                return set.existing();
            }
            return made;
        } catch (NtStatusException e) {
            if (e.status().equals(NtStatus.FLT_DELETING_OBJECT)) {
                return null;
            }
            throw e;
        }
    }

    /** A write or a size change makes the verdict stale, and the writing handle due a rescan on close. */
    private PreOpStatus preModify(CallbackData data, RelatedObjects objects) {
        if (data.parameters() instanceof IoParameters.SetInformation s && !(s.information() instanceof IoParameters.FileInformation.EndOfFile)) {
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }
        Instance instance = objects.instance();
        instance.<Verdict>getContext(ContextType.STREAM, data.fileObject()).ifPresent(v -> {
            try (v) {
                v.value().modified();
            }
        });
        instance.<Handle>getContext(ContextType.STREAM_HANDLE, data.fileObject()).ifPresent(h -> {
            try (h) {
                h.value().wrote = true;
            }
        });
        return PreOpStatus.SUCCESS_NO_CALLBACK;
    }

    /** The close of a handle that wrote: rescan, so the next open knows (a cleanup itself cannot fail). */
    private PreOpStatus preCleanup(CallbackData data, RelatedObjects objects) {
        Instance instance = objects.instance();
        Optional<Context<Handle>> handle = instance.getContext(ContextType.STREAM_HANDLE, data.fileObject());
        if (handle.isEmpty()) {
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }
        try (Context<Handle> h = handle.get()) {
            if (!h.value().wrote) {
                return PreOpStatus.SUCCESS_NO_CALLBACK;
            }
            h.value().wrote = false;
            try (Context<Verdict> v = verdictOf(instance, data.fileObject())) {
                if (v != null) {
                    Outcome o = scanInto(instance, data.fileObject(), AvScanMessages.ON_CLOSE, v.value());
                    System.getLogger(NAME).log(System.Logger.Level.DEBUG, "avscan: " + data.fileObject().path() + " on close: " + o);
                }
            }
        }
        return PreOpStatus.SUCCESS_NO_CALLBACK;
    }
}
