package dev.altitude.core;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The user side of a port in another process, over the port's Unix socket ({@link PortWire}). A reader
 * thread takes every frame the server sends: messages into the inbox (each answers one GET credit, sent
 * when a getter waits without a message), results to the call waiting for them.
 */
final class SocketClient implements FilterClient {
    private final SocketChannel channel;
    private final Object writeLock = new Object();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Message> inbox = new ArrayDeque<>();
    private final Map<Long, CompletableFuture<PortWire.SendResult>> sends = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<PortWire.ReplyResult>> replies = new ConcurrentHashMap<>();
    private final AtomicLong nextSend = new AtomicLong();
    private int credits;
    private int waiting;
    /** Set by the first getMessage: from then on a reply also posts the next read (see {@link #reply}). */
    private boolean messageLoop;
    private volatile boolean disconnected;

    private SocketClient(SocketChannel channel) {
        this.channel = channel;
    }

    static SocketClient connect(Path directory, String portName, byte[] context) {
        String name = FilterManager.portName(portName);
        if (name == null) {
            throw new NtStatusException(NtStatus.INVALID_PARAMETER, "invalid port name '" + portName + "'");
        }
        Path socket = directory.resolve(name + ".sock");
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            throw new NtStatusException(NtStatus.INSUFFICIENT_RESOURCES, "cannot open a Unix socket: " + e.getMessage());
        }
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            close(ch);
            String why = String.valueOf(e.getMessage());
            if (e instanceof AccessDeniedException || why.contains("Permission denied")) {
                throw new NtStatusException(NtStatus.ACCESS_DENIED, "no access to port '" + name + "' (" + socket + ")");
            }
            throw new NtStatusException(NtStatus.OBJECT_NAME_NOT_FOUND, "no communication port '" + name + "' at " + socket);
        }
        SocketClient c = new SocketClient(ch);
        try {
            PortWire.write(ch, new PortWire.Hello(PortWire.VERSION, name, context == null ? PortResult.NONE : context));
            if (!(PortWire.read(ch) instanceof PortWire.HelloResult r)) {
                throw new PortWire.WireException("the server did not answer the hello");
            }
            NtStatus s = NtStatus.of(r.status());
            if (s.isFailure()) {
                close(ch);
                throw new NtStatusException(s, "port '" + name + "' refused the connection");
            }
        } catch (IOException e) {
            close(ch);
            throw new NtStatusException(NtStatus.PORT_DISCONNECTED, "port '" + name + "' closed the connection: " + e.getMessage());
        }
        Thread.ofPlatform().daemon().name("altitude-client-" + name).start(c::readLoop);
        return c;
    }

    private static void close(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing a socket that failed
        }
    }

    private void readLoop() {
        try {
            while (true) {
                switch (PortWire.read(channel)) {
                    case PortWire.Message m -> {
                        lock.lock();
                        try {
                            credits--;
                            inbox.add(new Message(m.id(), m.replyCapacity(), m.data()));
                            changed.signalAll();
                        } finally {
                            lock.unlock();
                        }
                    }
                    case PortWire.SendResult r -> complete(sends.remove(r.id()), r);
                    case PortWire.ReplyResult r -> complete(replies.remove(r.id()), r);
                    default -> throw new PortWire.WireException("unexpected frame from the server");
                }
            }
        } catch (IOException e) {
            // the server closed the connection (disconnect, unload) or broke the protocol
        } finally {
            ended();
        }
    }

    private static <T> void complete(CompletableFuture<T> f, T value) {
        if (f != null) {
            f.complete(value);
        }
    }

    private void ended() {
        disconnected = true;
        close(channel);
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        sends.values().forEach(f -> f.complete(null));
        replies.values().forEach(f -> f.complete(null));
    }

    private boolean write(PortWire.Frame frame) {
        synchronized (writeLock) {
            try {
                PortWire.write(channel, frame);
                return true;
            } catch (IOException e) {
                ended();
                return false;
            }
        }
    }

    @Override
    public PortResult send(byte[] input, int outputCapacity) {
        if (input == null || outputCapacity < 0 || outputCapacity > PortWire.MAX_MESSAGE || input.length > PortWire.MAX_MESSAGE) {
            return PortResult.of(NtStatus.INVALID_PARAMETER);
        }
        long id = nextSend.incrementAndGet();
        CompletableFuture<PortWire.SendResult> f = new CompletableFuture<>();
        sends.put(id, f);
        if (disconnected || !write(new PortWire.Send(id, outputCapacity, input))) {
            sends.remove(id);
            return PortResult.of(NtStatus.PORT_DISCONNECTED);
        }
        PortWire.SendResult r = join(f);
        return r == null ? PortResult.of(NtStatus.PORT_DISCONNECTED) : new PortResult(NtStatus.of(r.status()), r.data());
    }

    @Override
    public NtStatus reply(Message message, byte[] reply) {
        byte[] data = reply == null ? PortResult.NONE : reply;
        if (data.length > PortWire.MAX_MESSAGE) {
            return NtStatus.INVALID_PARAMETER;
        }
        CompletableFuture<PortWire.ReplyResult> f = new CompletableFuture<>();
        replies.put(message.id(), f);
        postNextRead();
        if (disconnected || !write(new PortWire.Reply(message.id(), data))) {
            replies.remove(message.id());
            return NtStatus.PORT_DISCONNECTED;
        }
        PortWire.ReplyResult r = join(f);
        return r == null ? NtStatus.PORT_DISCONNECTED : NtStatus.of(r.status());
    }

    /**
     * A client in a message loop (it called getMessage before) keeps one read posted, as a Windows client
     * keeps an overlapped FilterGetMessage pending: posted before the reply goes out, the filter's next
     * message can leave as soon as the reply is in, without waiting for this side's next call.
     */
    private void postNextRead() {
        lock.lock();
        try {
            if (messageLoop && credits <= waiting && !disconnected) {
                credits++;
                write(new PortWire.Get());
            }
        } finally {
            lock.unlock();
        }
    }

    private static <T> T join(CompletableFuture<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NtStatusException(NtStatus.CANCELLED, "interrupted while waiting for the filter");
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public Message getMessage() {
        return get(-1).orElseThrow();
    }

    @Override
    public Optional<Message> getMessage(Duration timeout) {
        return get(Math.max(0, timeout.toNanos()));
    }

    /** Waits for a message, forever if {@code nanos} is negative. */
    private Optional<Message> get(long nanos) {
        lock.lock();
        try {
            waiting++;
            messageLoop = true;
            try {
                while (true) {
                    Message m = inbox.poll();
                    if (m != null) {
                        return Optional.of(m);
                    }
                    if (disconnected) {
                        throw new NtStatusException(NtStatus.PORT_DISCONNECTED, "the port is disconnected");
                    }
                    if (credits < waiting) {
                        credits++;
                        if (!write(new PortWire.Get())) {
                            continue;
                        }
                    }
                    if (nanos < 0) {
                        changed.await();
                    } else if (nanos == 0) {
                        return Optional.empty();
                    } else {
                        nanos = changed.awaitNanos(nanos);
                        if (nanos <= 0 && inbox.isEmpty()) {
                            return Optional.empty();
                        }
                    }
                }
            } finally {
                waiting--;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NtStatusException(NtStatus.CANCELLED, "interrupted while waiting for a message");
        } finally {
            lock.unlock();
        }
    }

    @Override
    public CompletableFuture<Message> getMessageAsync() {
        CompletableFuture<Message> f = new CompletableFuture<>();
        Thread.ofVirtual().name("altitude-get").start(() -> {
            try {
                f.complete(getMessage());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    @Override
    public boolean isConnected() {
        return !disconnected;
    }

    @Override
    public void close() {
        ended();
    }
}
