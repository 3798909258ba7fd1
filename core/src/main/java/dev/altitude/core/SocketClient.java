package dev.altitude.core;

import dev.altitude.core.rundown.Waits;
import dev.altitude.core.wire.PortChannel;
import dev.altitude.core.wire.PortWire;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The user side of a port in another process, over the port's Unix socket ({@link PortWire}). There is no
 * reader thread: whoever waits reads ({@link PortChannel}), so a getter is woken by its own message and a
 * sender by its own result. Messages each answer one GET credit, sent when a getter waits without a
 * message (or posted ahead by a reply, see {@link #postNextRead}).
 */
final class SocketClient implements FilterClient, PortChannel.Receiver {
    private final PortChannel channel;
    private final ReentrantLock lock = new ReentrantLock();
    private final ConcurrentLinkedQueue<Message> inbox = new ConcurrentLinkedQueue<>();
    private final Map<Long, CompletableFuture<PortWire.SendResult>> sends = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<PortWire.ReplyResult>> replies = new ConcurrentHashMap<>();
    private final CompletableFuture<PortWire.HelloResult> hello = new CompletableFuture<>();
    private final AtomicLong nextSend = new AtomicLong();
    private int credits; // under lock
    private int waiting; // under lock
    /** Set by the first getMessage: from then on a reply also posts the next read (see {@link #reply}). */
    private boolean messageLoop; // under lock

    /** Where the port's descriptor socket is, if the port lends files. */
    private final Path filesPath;
    /** The descriptor socket, once joined; -1 before and after. */
    private volatile int files = -1;
    /** Descriptors received ahead of the frame that names them, by message id; under filesLock. */
    private final Map<Long, Integer> early = new java.util.HashMap<>();
    /** Held while the descriptor socket is read and when it is closed: never a number closed under a reader. */
    private final Object filesLock = new Object();
    /** Files lent and not yet closed, by message id. */
    private final Map<Long, LentFile> lent = new ConcurrentHashMap<>();

    private SocketClient(SocketChannel ch, Path filesPath) throws IOException {
        this.channel = new PortChannel(ch, this, true);
        this.filesPath = filesPath;
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
        String server = serverUser(ch);
        String me = System.getProperty("user.name");
        if (!"root".equals(server) && !me.equals(server)) { // a socket someone else put there: not the filter manager's
            close(ch);
            throw new NtStatusException(NtStatus.ACCESS_DENIED, "port '" + name + "' at " + socket + " is served by user "
                    + server + ", not by root or " + me + ": not trusted");
        }
        SocketClient c;
        try {
            c = new SocketClient(ch, directory.resolve(name + ".files"));
        } catch (IOException e) {
            close(ch);
            throw new NtStatusException(NtStatus.INSUFFICIENT_RESOURCES, "cannot watch a Unix socket: " + e.getMessage());
        }
        PortWire.HelloResult r;
        try {
            c.channel.write(new PortWire.Hello(PortWire.VERSION, name, context == null ? PortResult.NONE : context));
            c.channel.awaitDone(c.hello, -1);
            r = c.hello.getNow(null);
        } catch (IOException e) {
            r = null;
        } catch (InterruptedException e) {
            c.close();
            Thread.currentThread().interrupt();
            throw new NtStatusException(NtStatus.CANCELLED, "interrupted while connecting to port '" + name + "'");
        }
        if (r == null) {
            c.close();
            if (c.untrusted != null) {
                throw new NtStatusException(NtStatus.ACCESS_DENIED, c.untrusted);
            }
            IOException why = c.channel.ended();
            throw new NtStatusException(NtStatus.PORT_DISCONNECTED, "port '" + name + "' closed the connection"
                    + (why == null ? "" : ": " + why.getMessage()));
        }
        NtStatus s = NtStatus.of(r.status());
        if (s.isFailure()) {
            c.close();
            throw new NtStatusException(s, "port '" + name + "' refused the connection");
        }
        return c;
    }

    /** The user on the other end ({@code SO_PEERCRED}), or null if the kernel does not say. */
    private static String serverUser(SocketChannel ch) {
        try {
            return ch.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user().getName();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    private static void close(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing a socket that failed
        }
    }

    @Override
    public void received(PortWire.Frame frame) throws IOException {
        switch (frame) {
            case PortWire.Message m -> {
                took();
                inbox.add(new Message(m.id(), m.replyCapacity(), m.data()));
            }
            case PortWire.FileMessage m -> {
                took();
                LentFile f = descriptorOf(m.id());
                lent.put(m.id(), f);
                f.onClose(() -> {
                    lent.remove(m.id());
                    if (!disconnected()) {
                        write(new PortWire.FileClosed(m.id()));
                    }
                });
                inbox.add(new Message(m.id(), m.replyCapacity(), m.data(), f));
            }
            case PortWire.FileChannel c when !hello.isDone() && files < 0 -> joinFiles(c.nonce());
            case PortWire.SendResult r -> complete(sends.remove(r.id()), r);
            case PortWire.ReplyResult r -> complete(replies.remove(r.id()), r);
            case PortWire.HelloResult r when !hello.isDone() -> hello.complete(r);
            default -> throw new PortWire.WireException("unexpected frame from the server");
        }
    }

    private void took() {
        lock.lock();
        try {
            credits--;
        } finally {
            lock.unlock();
        }
    }

    /** Why this side refused the port's descriptor socket, or null. */
    private volatile String untrusted;

    /**
     * Joins the port's descriptor socket with the nonce the server gave: connects, checks the server is root or this
     * user (as for the port's socket), sends the nonce. A socket served by anyone else ends the connect at once with
     * ACCESS_DENIED; any other failure leaves it unjoined: the server then refuses the connection, and says why.
     */
    private void joinFiles(byte[] nonce) {
        int fd = -1;
        try {
            fd = dev.altitude.core.unix.Unix.socket(dev.altitude.core.unix.Unix.SOCK_SEQPACKET);
            dev.altitude.core.unix.Unix.connect(fd, filesPath.toString());
            int server = dev.altitude.core.unix.Unix.peerCredentials(fd)[1];
            if (server != 0 && server != dev.altitude.core.unix.Unix.uid()) { // someone else's socket
                untrusted = "the port's descriptor socket " + filesPath + " is served by uid " + server
                        + ", not by root or this user: not trusted";
                hello.complete(null); // refused here and now; the server, never joined, refuses too
                return;
            }
            dev.altitude.core.unix.Unix.timeouts(fd, DESCRIPTOR_WAIT_MILLIS);
            dev.altitude.core.unix.Unix.send(fd, nonce, -1, 0);
            files = fd;
            fd = -1;
        } catch (IOException | RuntimeException e) {
            // unjoined: the hello's result says the rest
        } finally {
            if (fd >= 0) {
                dev.altitude.core.unix.Unix.close(fd);
            }
        }
    }

    /** How long a lent file's descriptor may lag the frame naming it (the server sends it first). */
    private static final long DESCRIPTOR_WAIT_MILLIS = 10_000;

    /** The descriptor of message {@code id}'s file: come already, or the next records of the descriptor socket. */
    private LentFile descriptorOf(long id) throws IOException {
        synchronized (filesLock) {
            return LentFile.received(descriptorLocked(id));
        }
    }

    private int descriptorLocked(long id) throws IOException {
        Integer fd = early.remove(id);
        while (fd == null) {
            int socket = files;
            if (socket < 0) {
                throw new PortWire.WireException("a file message on a connection with no descriptor socket");
            }
            dev.altitude.core.unix.Unix.Received r = dev.altitude.core.unix.Unix.receive(socket, 9);
            if (r.data().length != 8 || r.fd() < 0) {
                if (r.fd() >= 0) {
                    dev.altitude.core.unix.Unix.close(r.fd());
                }
                throw new PortWire.WireException("the descriptor socket broke the format (" + r.data().length + " bytes"
                        + (r.fd() < 0 ? ", no descriptor)" : ")"));
            }
            long got = java.nio.ByteBuffer.wrap(r.data()).getLong();
            if (got == id) {
                fd = r.fd();
            } else {
                Integer before = early.put(got, r.fd());
                if (before != null) {
                    dev.altitude.core.unix.Unix.close(before);
                }
            }
        }
        return fd;
    }

    private static <T> void complete(CompletableFuture<T> f, T value) {
        if (f != null) {
            f.complete(value);
        }
    }

    /**
     * Set before {@link #ended} runs: a call that registered its result and then finds the connection not
     * ended is completed by {@link #ended}.
     */
    private boolean disconnected() {
        return channel.ended() != null;
    }

    /** The server closed the connection (disconnect, unload), broke the protocol, or this side closed. */
    @Override
    public void ended(IOException why) {
        hello.complete(null);
        List.copyOf(lent.values()).forEach(LentFile::close);
        int fd = files;
        if (fd >= 0) {
            dev.altitude.core.unix.Unix.shutdown(fd); // wakes a reader of it, which then lets the lock go
            synchronized (filesLock) {
                if (files == fd) {
                    files = -1;
                    dev.altitude.core.unix.Unix.close(fd);
                    early.values().forEach(dev.altitude.core.unix.Unix::close);
                    early.clear();
                }
            }
        }
        sends.values().forEach(f -> f.complete(null));
        replies.values().forEach(f -> f.complete(null));
    }

    private boolean write(PortWire.Frame... frames) {
        try {
            channel.write(frames);
            return true;
        } catch (IOException e) {
            return false; // the channel ended, and told ended()
        }
    }

    /** Waits for a result of this side's call; null if the connection ended first. */
    private <T> T await(CompletableFuture<T> f) {
        try {
            channel.awaitDone(f, -1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NtStatusException(NtStatus.CANCELLED, "interrupted while waiting for the filter");
        }
        return f.getNow(null);
    }

    @Override
    public PortResult send(byte[] input, int outputCapacity) {
        if (input == null || outputCapacity < 0 || outputCapacity > PortWire.MAX_MESSAGE || input.length > PortWire.MAX_MESSAGE) {
            return PortResult.of(NtStatus.INVALID_PARAMETER);
        }
        long id = nextSend.incrementAndGet();
        CompletableFuture<PortWire.SendResult> f = new CompletableFuture<>();
        sends.put(id, f);
        if (disconnected() || !write(new PortWire.Send(id, outputCapacity, input))) {
            sends.remove(id);
            return PortResult.of(NtStatus.PORT_DISCONNECTED);
        }
        PortWire.SendResult r = await(f);
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
        PortWire.Frame out = new PortWire.Reply(message.id(), data);
        boolean sent = !disconnected() && (postNextRead() ? write(new PortWire.Get(), out) : write(out));
        if (!sent) {
            replies.remove(message.id());
            return NtStatus.PORT_DISCONNECTED;
        }
        PortWire.ReplyResult r = await(f);
        if (message.file() != null) {
            message.file().close(); // the message ended
        }
        return r == null ? NtStatus.PORT_DISCONNECTED : NtStatus.of(r.status());
    }

    /**
     * A client in a message loop (it called getMessage before) keeps one read posted, as a Windows client
     * keeps an overlapped FilterGetMessage pending: posted with the reply (in the same write), the filter's
     * next message can leave as soon as the reply is in, without waiting for this side's next call. True if
     * a GET is to go out.
     */
    private boolean postNextRead() {
        lock.lock();
        try {
            if (messageLoop && credits <= waiting) {
                credits++;
                return true;
            }
            return false;
        } finally {
            lock.unlock();
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
        long deadline = System.nanoTime() + nanos;
        lock.lock();
        try {
            waiting++;
            messageLoop = true;
        } finally {
            lock.unlock();
        }
        try {
            while (true) {
                Message m = inbox.poll();
                if (m != null) {
                    return Optional.of(m);
                }
                if (disconnected()) {
                    throw new NtStatusException(NtStatus.PORT_DISCONNECTED, "the port is disconnected");
                }
                long left = nanos < 0 ? -1 : Math.max(0, deadline - System.nanoTime());
                if (left == 0) {
                    return Optional.empty();
                }
                boolean post;
                lock.lock();
                try {
                    post = credits < waiting;
                    if (post) {
                        credits++;
                    }
                } finally {
                    lock.unlock();
                }
                if (post && !write(new PortWire.Get())) {
                    continue;
                }
                channel.await(() -> !inbox.isEmpty(), left); // returns at the connection's end too
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NtStatusException(NtStatus.CANCELLED, "interrupted while waiting for a message");
        } finally {
            lock.lock();
            try {
                waiting--;
            } finally {
                lock.unlock();
            }
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

    /** Also reads what has come meanwhile (if no call of this client is reading), so a closed port shows. */
    @Override
    public boolean isConnected() {
        if (!disconnected()) {
            channel.poll();
        }
        return !disconnected();
    }

    @Override
    public void close() {
        channel.close();
    }
}
