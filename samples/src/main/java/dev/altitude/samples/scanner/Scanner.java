package dev.altitude.samples.scanner;

import dev.altitude.core.CallbackData;
import dev.altitude.core.ClientPort;
import dev.altitude.core.Context;
import dev.altitude.core.ContextType;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.FileObject;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterGlobal;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.Instance;
import dev.altitude.core.IoParameters;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import dev.altitude.core.PeerIdentity;
import dev.altitude.core.PortCallbacks;
import dev.altitude.core.PortResult;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.PreOpStatus;
import dev.altitude.core.RelatedObjects;
import dev.altitude.core.ServerPort;
import dev.altitude.core.UnloadFlag;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * scanner: asks a user-mode scanner about files with configured extensions (parameter {@code extensions},
 * default {@code exe,doc,txt,bat,cmd,inf}). On open it sends the first {@value ScannerMessages#SCAN_BYTES}
 * bytes to the client over {@value ScannerMessages#PORT} (one connection at most) and cancels the open with
 * {@code STATUS_ACCESS_DENIED} when the client finds them foul; a handle opened for writing gets each
 * write scanned (a foul write fails, the file unchanged) and a rescan when it is closed. The client's own I/O
 * is not scanned. With no client connected, I/O goes on.
 *
 * <p>A verdict is waited for at most {@code timeout} (parameter, default {@value #DEFAULT_TIMEOUT}; a stopped
 * or hung client must not hold every open of a scanned file); without one in time, or when the message cannot
 * be delivered, {@code onTimeout} decides, as on-access scanners let an admin choose: {@code allow}
 * (fail-open, the default) or {@code deny} (fail-closed: the open or write gets {@code STATUS_ACCESS_DENIED}).
 * Each such decision is logged.
 *
 * <p>Its unload callback frees the extension list only after {@code unregister}: the original freed it
 * first, while a post-create could still be reading it.
 */
public final class Scanner implements FilterDriver {
    public static final String NAME = "scanner";
    static final String DEFAULT_EXTENSIONS = "exe,doc,txt,bat,cmd,inf";
    static final String DEFAULT_TIMEOUT = "10s";

    /** A handle opened for writing after a clean scan: scan its writes, rescan it when it is closed. */
    static final class ScannedHandle {
        volatile boolean rescanRequired = true;
    }

    private Filter filter;
    private ServerPort port;
    private volatile ClientPort client;
    private volatile long clientPid = -1;
    private FilterGlobal<Set<String>> extensions;
    private java.time.Duration timeout;
    private boolean failClosed;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        try {
            timeout = parseTimeout(config.parameter("timeout").orElse(DEFAULT_TIMEOUT));
            failClosed = switch (config.parameter("onTimeout").orElse("allow")) {
                case "allow" -> false;
                case "deny" -> true;
                default -> throw new IllegalArgumentException("onTimeout is allow or deny, not "
                        + config.parameter("onTimeout").get());
            };
        } catch (IllegalArgumentException e) {
            System.getLogger(NAME).log(System.Logger.Level.ERROR, "scanner: " + e.getMessage());
            return NtStatus.INVALID_PARAMETER;
        }
        filter = manager.registerFilter(FilterRegistration.builder(NAME)
                .altitude("265000")
                .context(ContextType.STREAM_HANDLE, (value, type) -> { })
                .onOperation(MajorFunction.CREATE, this::preCreate, this::postCreate)
                .onPreOperation(MajorFunction.WRITE, this::preWrite)
                .onPreOperation(MajorFunction.CLEANUP, this::preCleanup)
                .onInstanceQueryTeardown(objects -> NtStatus.SUCCESS)
                .onUnload(this::unload)
                .build());
        extensions = filter.global("extensions", parseExtensions(config.parameter("extensions").orElse(DEFAULT_EXTENSIONS)));
        try {
            port = filter.createCommunicationPort(ScannerMessages.PORT, 1, PortCallbacks.of(this::connect, this::disconnect));
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

    /** The canonical unload: close the server port, unregister (waits for every callback), then free globals. */
    private NtStatus unload(Set<UnloadFlag> flags) {
        port.close();
        filter.unregister();
        extensions.free();
        return NtStatus.SUCCESS;
    }

    /** {@code 500ms}, {@code 5s} or ISO-8601 ({@code PT1M}); more than zero (avscan parses its timeout so too). */
    public static java.time.Duration parseTimeout(String s) {
        java.time.Duration d;
        try {
            d = s.endsWith("ms") ? java.time.Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)))
                    : s.endsWith("s") && !s.startsWith("P") ? java.time.Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)))
                    : java.time.Duration.parse(s);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("timeout '" + s + "' is not a duration (500ms, 5s, PT1M)");
        }
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("timeout '" + s + "' must be more than zero");
        }
        return d;
    }

    static Set<String> parseExtensions(String list) {
        return Arrays.stream(list.split(",")).map(s -> s.strip().toLowerCase(Locale.ROOT)).filter(s -> !s.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    // ---- the port ----------------------------------------------------------------------------------

    /**
     * Remembers the client and its process, whose own I/O is not scanned: the process id the transport knows,
     * or the one the client names in its connection context (8 bytes; the JDK does not give a Unix-socket
     * peer's pid). A client in this JVM without one is not a process of its own: nothing is skipped for it.
     */
    private NtStatus connect(ClientPort c, byte[] context, PeerIdentity peer) {
        long pid = peer.inProcess() ? -1 : peer.processId().orElse(-1);
        if (context != null && context.length == Long.BYTES) {
            pid = ByteBuffer.wrap(context).getLong();
        }
        client = c;
        clientPid = pid;
        return NtStatus.SUCCESS;
    }

    private void disconnect(ClientPort c) {
        client = null;
        clientPid = -1;
        c.close();
    }

    /**
     * Sends one scan and waits for the verdict at most {@code timeout}: true (safe) when there is nobody to ask
     * or the verdict is clean; without a verdict, what {@code onTimeout} says.
     */
    private boolean safe(byte reason, byte[] content, int length) {
        ClientPort c = client;
        if (c == null) {
            return true;
        }
        PortResult r = filter.sendMessage(c, ScannerMessages.notification(reason, content, length), 1, timeout);
        if (!r.status().equals(NtStatus.SUCCESS) || r.data().length < 1) {
            System.getLogger(NAME).log(System.Logger.Level.WARNING, "scanner: no verdict (" + r.status() + "); "
                    + (failClosed ? "denied" : "allowed"));
            return !failClosed;
        }
        return r.data()[0] != ScannerMessages.FOUL;
    }

    // ---- operations --------------------------------------------------------------------------------

    private boolean scanned(CallbackData data) {
        FileObject fo = data.fileObject();
        if (fo == null) {
            return false;
        }
        String name = fo.path();
        int dot = name.lastIndexOf('.');
        if (dot < 0 || dot < name.lastIndexOf('/')) {
            return false;
        }
        return extensions.get().contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private PreOpStatus preCreate(CallbackData data, RelatedObjects objects) {
        long pid = clientPid;
        if (pid >= 0 && data.requestor().pid() == pid) {
            return PreOpStatus.SUCCESS_NO_CALLBACK; // the scanner's own I/O is not scanned
        }
        return PreOpStatus.SUCCESS_WITH_CALLBACK;
    }

    private PostOpStatus postCreate(CallbackData data, RelatedObjects objects, Object context, boolean draining) {
        if (draining || data.status().isFailure() || client == null || !scanned(data)) {
            return PostOpStatus.FINISHED_PROCESSING;
        }
        IoParameters.Create create = data.parameters(IoParameters.Create.class);
        if (create.kind() != IoParameters.FileKind.FILE) {
            return PostOpStatus.FINISHED_PROCESSING;
        }
        byte[] head = new byte[ScannerMessages.SCAN_BYTES];
        int n = readHead(objects.instance(), data.fileObject().path(), head);
        if (!safe(ScannerMessages.ON_OPEN, head, n)) {
            objects.instance().cancelFileOpen(data, NtStatus.ACCESS_DENIED);
            return PostOpStatus.FINISHED_PROCESSING;
        }
        Set<IoParameters.Access> access = create.access();
        if (access.contains(IoParameters.Access.WRITE_DATA) || access.contains(IoParameters.Access.APPEND_DATA)) {
            try (Context<ScannedHandle> h = filter.allocateContext(ContextType.STREAM_HANDLE, new ScannedHandle())) {
                objects.instance().setContext(ContextType.STREAM_HANDLE, data.fileObject(), h, Instance.SetMode.KEEP_IF_EXISTS);
            } catch (NtStatusException e) {
                if (!e.status().equals(NtStatus.FLT_DELETING_OBJECT)) {
                    throw e;
                } // the filter is unloading: this handle's writes will not reach it anyway
            }
        }
        return PostOpStatus.FINISHED_PROCESSING;
    }

    private PreOpStatus preWrite(CallbackData data, RelatedObjects objects) {
        if (client == null) {
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }
        var handle = objects.instance().<ScannedHandle>getContext(ContextType.STREAM_HANDLE, data.fileObject());
        if (handle.isEmpty()) {
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }
        handle.get().close();
        ByteBuffer b = data.parameters(IoParameters.Write.class).buffer().duplicate();
        byte[] head = new byte[Math.min(b.remaining(), ScannerMessages.SCAN_BYTES)];
        b.get(head);
        if (!safe(ScannerMessages.ON_WRITE, head, head.length)) {
            data.complete(NtStatus.ACCESS_DENIED, 0);
            return PreOpStatus.COMPLETE;
        }
        return PreOpStatus.SUCCESS_NO_CALLBACK;
    }

    private PreOpStatus preCleanup(CallbackData data, RelatedObjects objects) {
        var handle = objects.instance().<ScannedHandle>getContext(ContextType.STREAM_HANDLE, data.fileObject());
        if (handle.isPresent()) {
            try (Context<ScannedHandle> h = handle.get()) {
                if (h.value().rescanRequired && client != null) {
                    h.value().rescanRequired = false;
                    byte[] head = new byte[ScannerMessages.SCAN_BYTES];
                    int n = readHead(objects.instance(), data.fileObject().path(), head);
                    boolean safe = safe(ScannerMessages.ON_CLEANUP, head, n);
                    System.getLogger(NAME).log(System.Logger.Level.DEBUG, "rescan of " + data.fileObject().path() + " on close: "
                            + (safe ? "clean" : "foul"));
                }
            }
        }
        return PreOpStatus.SUCCESS_NO_CALLBACK;
    }

    /** {@code FltReadFile}: the first bytes of the file, read below this instance; 0 when it cannot be read. */
    private static int readHead(Instance instance, String path, byte[] into) {
        FileObject fo;
        try {
            fo = instance.createFile(path, new IoParameters.Create(Set.of(IoParameters.Access.READ_DATA),
                    IoParameters.CreateDisposition.OPEN, Set.of(), IoParameters.FileKind.FILE, null, null));
        } catch (RuntimeException e) {
            return 0;
        }
        try {
            CallbackData read = new CallbackData(fo, new IoParameters.Read(0, ByteBuffer.wrap(into)));
            NtStatus s = instance.performIo(read);
            return s.isSuccess() ? (int) read.information() : 0;
        } finally {
            instance.closeFile(fo);
        }
    }
}
