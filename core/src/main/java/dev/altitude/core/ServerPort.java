package dev.altitude.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A filter's named server port ({@code FltCreateCommunicationPort}): listens from creation until
 * {@link #close} ({@code FltCloseCommunicationPort}). Closing stops new connections; existing ones keep
 * working until either side closes them or the filter unloads. An open server port holds the filter's
 * rundown: close it in the unload callback before {@code unregister} (spec §4.5), or unregister waits
 * for it — and the "why won't it unload?" report says so.
 */
public final class ServerPort {
    final Filter filter;
    private final String name;
    private final int maxConnections;
    private final PortCallbacks callbacks;
    private final PortAccess access;
    private final Holder holder;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<ClientPort> connections = new ArrayList<>();
    private int connecting;
    private boolean closed;
    private boolean unloading;
    private volatile AutoCloseable listener;

    ServerPort(Filter filter, String name, int maxConnections, PortCallbacks callbacks, PortAccess access) {
        this.filter = filter;
        this.name = name;
        this.maxConnections = maxConnections;
        this.callbacks = callbacks;
        this.access = access;
        this.holder = new Holder(HolderKind.SERVER_PORT, null, "server port '" + name
                + "' still open (close it before unregister)", filter.verifier());
    }

    public String name() {
        return name;
    }

    public int maxConnections() {
        return maxConnections;
    }

    /** Connected client ports now. */
    public int connectionCount() {
        lock.lock();
        try {
            return connections.size();
        } finally {
            lock.unlock();
        }
    }

    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** {@code FltCloseCommunicationPort}: no new connections; existing ones go on. Closing again does nothing. */
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lock.unlock();
        }
        filter.manager().forgetPort(this);
        AutoCloseable l = listener;
        if (l != null) {
            try {
                l.close();
            } catch (Exception e) {
                filter.manager().diagnostics.report(Diagnostic.Kind.FORCED, filter.name(),
                        "closing the socket of port '" + name + "' failed: " + e);
            }
        }
        filter.holders.remove(holder);
    }

    PortCallbacks callbacks() {
        return callbacks;
    }

    PortAccess access() {
        return access;
    }

    Holder holder() {
        return holder;
    }

    void listenOn(AutoCloseable l) {
        listener = l;
    }

    /**
     * A client connects: access, the connection limit, the connect notification. Throws
     * {@link NtStatusException}: {@link NtStatus#ACCESS_DENIED}, {@link NtStatus#OBJECT_NAME_NOT_FOUND}
     * (closed), {@link NtStatus#CONNECTION_COUNT_LIMIT}, {@link NtStatus#PORT_DISCONNECTED} (the filter
     * unloads), or the status the connect notification refused with.
     */
    ClientPort connect(byte[] context, PeerIdentity peer, ClientPort.UserEnd end) {
        if (!access.allows(peer)) {
            throw new NtStatusException(NtStatus.ACCESS_DENIED, "port '" + name + "' refuses user " + peer.user());
        }
        lock.lock();
        try {
            if (closed) {
                throw new NtStatusException(NtStatus.OBJECT_NAME_NOT_FOUND, "port '" + name + "' is closed");
            }
            if (unloading) {
                throw new NtStatusException(NtStatus.PORT_DISCONNECTED, "the filter of port '" + name + "' is unloading");
            }
            if (connections.size() + connecting >= maxConnections) {
                throw new NtStatusException(NtStatus.CONNECTION_COUNT_LIMIT,
                        "port '" + name + "' has its " + maxConnections + " connection(s)");
            }
            connecting++;
        } finally {
            lock.unlock();
        }
        ClientPort client = new ClientPort(this, peer, context);
        client.attach(end);
        boolean reserved = true;
        try {
            if (!filter.holders.tryAdd(client.holder())) {
                throw new NtStatusException(NtStatus.PORT_DISCONNECTED, "the filter of port '" + name + "' is unloading");
            }
            NtStatus s = filter.callPortConnect(callbacks.connect(), client, context, peer);
            if (s.isFailure()) {
                filter.holders.remove(client.holder());
                throw new NtStatusException(s, "the filter refused the connection to '" + name + "'");
            }
            boolean late;
            lock.lock();
            try {
                connecting--;
                reserved = false;
                late = unloading;
                connections.add(client);
                client.connected();
            } finally {
                lock.unlock();
            }
            if (late) {
                // the unload's disconnect sweep has passed: disconnect it here, notification included
                client.disconnect();
                throw new NtStatusException(NtStatus.PORT_DISCONNECTED, "the filter of port '" + name + "' is unloading");
            }
            return client;
        } finally {
            if (reserved) {
                lock.lock();
                try {
                    connecting--;
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    void forget(ClientPort client) {
        lock.lock();
        try {
            connections.remove(client);
        } finally {
            lock.unlock();
        }
    }

    /** Unregister: no connection from now on; every connected client is disconnected (notification once each). */
    void disconnectAllForUnload() {
        List<ClientPort> all;
        lock.lock();
        try {
            unloading = true;
            all = List.copyOf(connections);
        } finally {
            lock.unlock();
        }
        all.forEach(ClientPort::disconnect);
    }

    @Override
    public String toString() {
        return "ServerPort[" + name + (isClosed() ? ", closed" : "") + ", " + connectionCount() + "/" + maxConnections + "]";
    }
}
