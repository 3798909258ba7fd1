package dev.altitude.core;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The user side of a communication port ({@code FilterConnectCommunicationPort} and the calls on its
 * handle), in this JVM or from another process over the port's Unix socket; the second needs no filter
 * manager in the client's process.
 *
 * <p>When the connection ends — the filter closed it, or the filter unloads — every blocked and later
 * call reports {@link NtStatus#PORT_DISCONNECTED}: {@link #getMessage} throws it as an
 * {@link NtStatusException}, {@link #send} and {@link #reply} return it, so a client can end cleanly.
 */
public interface FilterClient extends AutoCloseable {

    /**
     * A filter's message ({@code FILTER_MESSAGE_HEADER} and body): reply to it if {@code replyCapacity} is above 0.
     * {@code file} is the file the filter lent with it ({@link LentFile}), or null: read it, and close it when done
     * with it; replying, or the connection's end, closes it too.
     */
    record Message(long id, int replyCapacity, byte[] data, LentFile file) {
        public Message(long id, int replyCapacity, byte[] data) {
            this(id, replyCapacity, data, null);
        }

        public boolean wantsReply() {
            return replyCapacity > 0;
        }

        /** The file lent with this message, if any. */
        public Optional<LentFile> lentFile() {
            return Optional.ofNullable(file);
        }
    }

    /** Connects to a port of a filter manager in this JVM. Errors as {@link NtStatusException}. */
    static FilterClient connect(FilterManager manager, String portName, byte[] context) {
        return new LocalClient(manager, portName, context);
    }

    /**
     * Connects to a port over its socket in {@code portDirectory}. Errors as {@link NtStatusException}:
     * {@link NtStatus#OBJECT_NAME_NOT_FOUND} (no such port), {@link NtStatus#ACCESS_DENIED},
     * {@link NtStatus#CONNECTION_COUNT_LIMIT}, or the status the filter refused with.
     */
    static FilterClient connect(Path portDirectory, String portName, byte[] context) {
        return SocketClient.connect(portDirectory, portName, context);
    }

    /** {@code FilterSendMessage}: runs the filter's message notification; its output, at most {@code outputCapacity} bytes. */
    PortResult send(byte[] input, int outputCapacity);

    /** {@code FilterGetMessage}, blocking until a message comes. */
    Message getMessage();

    /** {@code FilterGetMessage} waiting at most {@code timeout}; empty if none came. */
    Optional<Message> getMessage(Duration timeout);

    /**
     * {@code FilterGetMessage} with {@code OVERLAPPED}: completes with the next message, or exceptionally
     * with {@link NtStatusException} ({@link NtStatus#PORT_DISCONNECTED}).
     */
    CompletableFuture<Message> getMessageAsync();

    /**
     * {@code FilterReplyMessage}: {@link NtStatus#FLT_NO_WAITER_FOR_REPLY} if the filter's sender stopped
     * waiting (timeout) or never wanted a reply.
     */
    NtStatus reply(Message message, byte[] reply);

    boolean isConnected();

    /** Ends the connection; the filter gets its disconnect notification. */
    @Override
    void close();
}
