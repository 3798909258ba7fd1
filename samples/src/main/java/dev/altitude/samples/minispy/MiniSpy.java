package dev.altitude.samples.minispy;

import dev.altitude.core.CallbackData;
import dev.altitude.core.ClientPort;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.Instance;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import dev.altitude.core.PeerIdentity;
import dev.altitude.core.PortCallbacks;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.PreOpStatus;
import dev.altitude.core.RelatedObjects;
import dev.altitude.core.ServerPort;
import dev.altitude.core.UnloadFlag;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Set;

/**
 * minispy: records every operation on the volumes it is attached to (it attaches to none by itself) into
 * a bounded buffer (parameter {@code maxRecords}, default 500); when the buffer is full, records are lost
 * and the next answer carries one overflow marker saying how many. A client pulls the records over
 * {@value MiniSpyMessages#PORT} (one connection) and can attach, detach and list instances through it.
 */
public final class MiniSpy implements FilterDriver {
    public static final String NAME = "minispy";

    private FilterManager manager;
    private Filter filter;
    private ServerPort port;
    private int maxRecords;
    private final ArrayDeque<byte[]> buffer = new ArrayDeque<>();
    private long lost;
    private long sequence;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        this.manager = manager;
        maxRecords = Integer.parseInt(config.parameter("maxRecords").orElse("500"));
        FilterRegistration.Builder b = FilterRegistration.builder(NAME).altitude("370000")
                .suppressAutomaticAttachment()
                .onInstanceQueryTeardown(objects -> NtStatus.SUCCESS)
                .onUnload(this::unload);
        for (MajorFunction m : MajorFunction.values()) {
            if (m == MajorFunction.SHUTDOWN) {
                b.onPreOperation(m, (data, objects) -> {
                    log(data, objects, System.currentTimeMillis() * 1000);
                    return PreOpStatus.SUCCESS_NO_CALLBACK;
                });
            } else {
                b.onOperation(m, this::pre, this::post);
            }
        }
        filter = manager.registerFilter(b.build());
        port = filter.createCommunicationPort(MiniSpyMessages.PORT, 1,
                PortCallbacks.of(this::connect, ClientPort::close, this::message));
        return filter.startFiltering();
    }

    /** Close the port (no new connections), unregister (disconnects the client, drains), then empty the buffer. */
    private NtStatus unload(Set<UnloadFlag> flags) {
        port.close();
        filter.unregister();
        synchronized (buffer) {
            buffer.clear();
        }
        return NtStatus.SUCCESS;
    }

    private static long nowMicros() {
        java.time.Instant t = java.time.Instant.now();
        return t.getEpochSecond() * 1_000_000 + t.getNano() / 1000;
    }

    private PreOpStatus pre(CallbackData data, RelatedObjects objects) {
        data.setCompletionContext(nowMicros());
        return PreOpStatus.SUCCESS_WITH_CALLBACK;
    }

    private PostOpStatus post(CallbackData data, RelatedObjects objects, Object started, boolean draining) {
        log(data, objects, started instanceof Long l ? l : nowMicros());
        return PostOpStatus.FINISHED_PROCESSING;
    }

    private void log(CallbackData data, RelatedObjects objects, long startMicros) {
        synchronized (buffer) {
            if (buffer.size() >= maxRecords) {
                lost++;
                return;
            }
            buffer.add(new MiniSpyMessages.Record(MiniSpyMessages.NORMAL, ++sequence, startMicros, nowMicros(),
                    data.requestor().pid(), data.majorFunction().name(), objects.volume().name(),
                    data.fileObject() == null ? "" : data.fileObject().path(), data.status().code(),
                    data.status().name()).bytes());
        }
    }

    // ---- the port ----------------------------------------------------------------------------------

    private NtStatus connect(ClientPort client, byte[] context, PeerIdentity peer) {
        return NtStatus.SUCCESS;
    }

    private byte[] message(ClientPort client, byte[] input) {
        if (input.length == 0) {
            throw new NtStatusException(NtStatus.INVALID_PARAMETER, "empty minispy command");
        }
        var args = MiniSpyMessages.arguments(input);
        return switch (input[0]) {
            case MiniSpyMessages.GET_LOG -> takeLog(input.length >= 5
                    ? ((input[1] & 0xff) << 24) | ((input[2] & 0xff) << 16) | ((input[3] & 0xff) << 8) | (input[4] & 0xff)
                    : 64 * 1024);
            case MiniSpyMessages.GET_VERSION -> MiniSpyMessages.VERSION.getBytes(StandardCharsets.UTF_8);
            case MiniSpyMessages.ATTACH -> {
                Instance i = manager.attach(NAME, arg(args, 0), args.size() > 1 ? args.get(1) : null, null);
                yield ("attached " + i.name() + " to " + i.volume().name()).getBytes(StandardCharsets.UTF_8);
            }
            case MiniSpyMessages.DETACH -> {
                NtStatus s = manager.detach(NAME, arg(args, 0), args.size() > 1 ? args.get(1) : null);
                if (s.isFailure()) {
                    throw new NtStatusException(s, "detach from " + arg(args, 0));
                }
                yield ("detached from " + arg(args, 0)).getBytes(StandardCharsets.UTF_8);
            }
            case MiniSpyMessages.LIST -> list().getBytes(StandardCharsets.UTF_8);
            default -> throw new NtStatusException(NtStatus.INVALID_PARAMETER, "unknown minispy command " + input[0]);
        };
    }

    private static String arg(java.util.List<String> args, int i) {
        if (args.size() <= i) {
            throw new NtStatusException(NtStatus.INVALID_PARAMETER, "a volume name is needed");
        }
        return args.get(i);
    }

    /** As many records as fit in {@code capacity} bytes, oldest first, then the overflow marker if records were lost. */
    private byte[] takeLog(int capacity) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        synchronized (buffer) {
            while (!buffer.isEmpty() && out.size() + buffer.peek().length <= capacity - 128) {
                out.writeBytes(buffer.poll());
            }
            if (buffer.isEmpty() && lost > 0) {
                out.writeBytes(new MiniSpyMessages.Record(MiniSpyMessages.OVERFLOW, lost, 0, 0, -1, "", "", "", 0, "").bytes());
                lost = 0;
            }
        }
        return out.toByteArray();
    }

    private String list() {
        StringBuilder b = new StringBuilder();
        for (var v : manager.volumes()) {
            b.append("volume ").append(v.name()).append(' ').append(v.fileSystemType()).append('\n');
        }
        for (var i : manager.instances()) {
            if (i.filter().equals(NAME)) {
                b.append("instance ").append(i.instance()).append(" on ").append(i.volume()).append(" at ").append(i.altitude())
                        .append('\n');
            }
        }
        return b.toString();
    }
}
