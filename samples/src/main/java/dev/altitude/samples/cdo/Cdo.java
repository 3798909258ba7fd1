package dev.altitude.samples.cdo;

import dev.altitude.core.ClientPort;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterClient;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import dev.altitude.core.PeerIdentity;
import dev.altitude.core.PortCallbacks;
import dev.altitude.core.PortResult;
import dev.altitude.core.ServerPort;
import dev.altitude.core.UnloadFlag;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * cdo: a filter with a control handle that applications open directly (the original's control device
 * object). Here the handle is a connection to its port {@value #PORT} (one at a time), from this JVM
 * ({@link #open}) or from another process ({@code FilterClient.connect(portDirectory, PORT, …)}). It is the
 * one sample whose unload callback refuses: an optional unload while the handle is open returns
 * {@code STATUS_FLT_DO_NOT_DETACH} and the filter stays; a mandatory unload goes through, and the handle is
 * disconnected (every later request fails with {@code STATUS_PORT_DISCONNECTED}).
 */
public final class Cdo implements FilterDriver {
    public static final String NAME = "cdo";
    public static final String PORT = "CdoControlPort";

    private final Object lock = new Object();
    private Filter filter;
    private ServerPort port;
    private ClientPort open;

    /** An open control handle: requests go to the filter; {@link #close()} closes the handle. */
    public static final class ControlHandle implements AutoCloseable {
        private final FilterClient client;

        private ControlHandle(FilterClient client) {
            this.client = client;
        }

        /** A request through the handle: the filter's name and state. */
        public String request() {
            PortResult r = client.send(new byte[0], 256);
            if (r.status().isFailure()) {
                throw new NtStatusException(r.status(), "the cdo control handle");
            }
            return new String(r.data(), StandardCharsets.UTF_8);
        }

        public boolean isValid() {
            return client.isConnected();
        }

        @Override
        public void close() {
            client.close();
        }
    }

    /** Opens the control handle of the cdo filter loaded in {@code manager}. */
    public static ControlHandle open(FilterManager manager) {
        return new ControlHandle(FilterClient.connect(manager, PORT, new byte[0]));
    }

    /** Wraps a connection made from another process. */
    public static ControlHandle of(FilterClient connection) {
        return new ControlHandle(connection);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        filter = manager.registerFilter(FilterRegistration.builder(NAME).altitude("370080")
                .onInstanceQueryTeardown(objects -> NtStatus.SUCCESS)
                .onUnload(this::unload)
                .build());
        port = filter.createCommunicationPort(PORT, 1, PortCallbacks.of(this::connect, this::disconnect,
                (client, input) -> (filter.name() + " " + filter.state()).getBytes(StandardCharsets.UTF_8)));
        return filter.startFiltering();
    }

    private NtStatus connect(ClientPort client, byte[] context, PeerIdentity peer) {
        synchronized (lock) {
            open = client;
        }
        return NtStatus.SUCCESS;
    }

    private void disconnect(ClientPort client) {
        synchronized (lock) {
            if (open == client) {
                open = null;
            }
        }
        client.close();
    }

    private NtStatus unload(Set<UnloadFlag> flags) {
        synchronized (lock) {
            if (open != null && !flags.contains(UnloadFlag.MANDATORY)) {
                return NtStatus.FLT_DO_NOT_DETACH; // an application still holds the control handle
            }
        }
        port.close();
        filter.unregister(); // disconnects the handle
        return NtStatus.SUCCESS;
    }
}
