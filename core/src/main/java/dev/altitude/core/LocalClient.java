package dev.altitude.core;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The user side of a port in the same JVM: calls straight into the connection, no copies but the port's own. */
final class LocalClient implements FilterClient, ClientPort.UserEnd {
    private final ClientPort port;
    private volatile boolean ended;

    LocalClient(FilterManager manager, String portName, byte[] context) {
        this.port = manager.connectLocal(portName, context, this);
    }

    /** A getter that hands its message to a future. */
    private static final class FutureGetter implements ClientPort.Getter {
        final CompletableFuture<Message> future = new CompletableFuture<>();

        @Override
        public boolean deliver(Message message) {
            future.complete(message);
            return true;
        }

        @Override
        public void disconnected() {
            future.completeExceptionally(new NtStatusException(NtStatus.PORT_DISCONNECTED, "the port is disconnected"));
        }
    }

    @Override
    public void disconnected() {
        ended = true;
    }

    @Override
    public PortResult send(byte[] input, int outputCapacity) {
        if (input == null || outputCapacity < 0) {
            return PortResult.of(NtStatus.INVALID_PARAMETER);
        }
        return port.userSend(input.clone(), outputCapacity);
    }

    @Override
    public Message getMessage() {
        return await(getMessageAsync(), null).orElseThrow();
    }

    @Override
    public Optional<Message> getMessage(Duration timeout) {
        FutureGetter g = new FutureGetter();
        Message m = port.take(g);
        if (m != null) {
            return Optional.of(m);
        }
        Optional<Message> got = await(g.future, timeout);
        if (got.isEmpty() && !port.cancel(g)) {
            return Optional.of(g.future.join()); // handed over just as the wait ended
        }
        return got;
    }

    @Override
    public CompletableFuture<Message> getMessageAsync() {
        FutureGetter g = new FutureGetter();
        try {
            Message m = port.take(g);
            if (m != null) {
                g.future.complete(m);
            }
        } catch (NtStatusException e) {
            g.future.completeExceptionally(e);
        }
        return g.future;
    }

    private static Optional<Message> await(CompletableFuture<Message> f, Duration timeout) {
        try {
            return Optional.of(timeout == null ? f.get() : f.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NtStatusException(NtStatus.CANCELLED, "interrupted while waiting for a message");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof NtStatusException s) {
                throw new NtStatusException(s.status(), s.getMessage());
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public NtStatus reply(Message message, byte[] reply) {
        NtStatus s = port.reply(message.id(), reply == null ? PortResult.NONE : reply.clone());
        if (message.file() != null) {
            message.file().close(); // the message ended
        }
        return s;
    }

    @Override
    public boolean isConnected() {
        return !ended && port.isConnected();
    }

    @Override
    public void close() {
        port.disconnect();
    }
}
