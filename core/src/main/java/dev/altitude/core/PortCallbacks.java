package dev.altitude.core;

import java.util.Objects;

/**
 * A server port's notifications ({@code ConnectNotify}, {@code DisconnectNotify}, {@code MessageNotify}):
 * connect and disconnect are required, message is optional (a client's send then fails with
 * {@link NtStatus#NOT_SUPPORTED}). Each runs like any other callback of the filter: never after
 * {@code unregister} returned.
 */
public record PortCallbacks(Connect connect, Disconnect disconnect, MessageHandler message) {

    /** A client connects: a failure status refuses it. {@code context} is the client's connection context. */
    @FunctionalInterface
    public interface Connect {
        NtStatus onConnect(ClientPort client, byte[] context, PeerIdentity peer);
    }

    /**
     * The connection ended from the other side (close, process death) or because the filter unloads;
     * once per connection, never for a close the filter made itself. The filter closes its port here.
     */
    @FunctionalInterface
    public interface Disconnect {
        void onDisconnect(ClientPort client);
    }

    /** A client's synchronous send: returns the output (or throws {@link NtStatusException} for a status). */
    @FunctionalInterface
    public interface MessageHandler {
        byte[] onMessage(ClientPort client, byte[] input);
    }

    public static PortCallbacks of(Connect connect, Disconnect disconnect) {
        return new PortCallbacks(connect, disconnect, null);
    }

    public static PortCallbacks of(Connect connect, Disconnect disconnect, MessageHandler message) {
        return new PortCallbacks(connect, disconnect, message);
    }

    boolean isValid() {
        return Objects.nonNull(connect) && Objects.nonNull(disconnect);
    }
}
