package dev.altitude.test.filters;

import dev.altitude.core.CallbackData;
import dev.altitude.core.ClientPort;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PortCallbacks;
import dev.altitude.core.PortResult;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.RelatedObjects;
import dev.altitude.core.ServerPort;
import dev.altitude.core.UnloadFlag;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A well-behaved filter with a port: after each successful open of a {@code .txt} file it asks its client (one
 * connection) and waits for the reply, at most 30 s; it records what each ask returned. An optional unload is
 * refused while a client is connected ({@code FLT_DO_NOT_DETACH}), as a scanner protecting its client might.
 */
public final class Asker implements FilterDriver {
    public static final String NAME = "asker";
    public static final String PORT = "AskerPort";

    private Filter filter;
    private ServerPort port;
    private volatile ClientPort client;
    /** What each ask returned, in order. */
    public final List<NtStatus> asks = new CopyOnWriteArrayList<>();
    public final List<String> disconnects = new CopyOnWriteArrayList<>();
    /** A permit per disconnect notification, for a test to wait on. */
    public final java.util.concurrent.Semaphore disconnected = new java.util.concurrent.Semaphore(0);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        filter = manager.registerFilter(FilterRegistration.builder(NAME).altitude("265100")
                .onPostOperation(MajorFunction.CREATE, this::postCreate)
                .onInstanceQueryTeardown(objects -> NtStatus.SUCCESS)
                .onUnload(this::unload)
                .build());
        port = filter.createCommunicationPort(PORT, 1, PortCallbacks.of((c, context, peer) -> {
            client = c;
            return NtStatus.SUCCESS;
        }, c -> {
            client = null;
            disconnects.add(c.toString());
            c.close();
            disconnected.release();
        }));
        return filter.startFiltering();
    }

    private NtStatus unload(Set<UnloadFlag> flags) {
        if (!flags.contains(UnloadFlag.MANDATORY) && client != null) {
            return NtStatus.FLT_DO_NOT_DETACH;
        }
        port.close();
        filter.unregister();
        return NtStatus.SUCCESS;
    }

    private PostOpStatus postCreate(CallbackData data, RelatedObjects objects, Object context, boolean draining) {
        ClientPort c = client;
        if (draining || c == null || data.status().isFailure() || data.fileObject() == null
                || !data.fileObject().path().endsWith(".txt")) {
            return PostOpStatus.FINISHED_PROCESSING;
        }
        PortResult r = filter.sendMessage(c, data.fileObject().path().getBytes(StandardCharsets.UTF_8), 1, Duration.ofSeconds(30));
        asks.add(r.status());
        return PostOpStatus.FINISHED_PROCESSING;
    }
}
