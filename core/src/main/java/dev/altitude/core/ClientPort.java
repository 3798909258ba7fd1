package dev.altitude.core;

import dev.altitude.core.wire.PortChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connection to a server port, as the filter sees it ({@code PFLT_PORT} of a client). The filter
 * sends through it ({@link Filter#sendMessage}) and closes it ({@link #close}, {@code FltCloseClientPort}).
 *
 * <p>Its message queue: a filter's message waits in {@code undelivered} until a getter of the user side
 * takes it (or is handed to a getter already waiting); a message that wants a reply then waits in
 * {@code awaitingReply} under its id. A disconnect releases every waiting sender with
 * {@link NtStatus#PORT_DISCONNECTED} at once.
 */
public final class ClientPort {
    private enum State { CONNECTING, CONNECTED, CLOSED, DISCONNECTED }

    /** A user-side getter waiting for a message; called outside the port's lock. */
    interface Getter {
        /**
         * Hands over a message (with its {@link FilterClient.Message#file} if the filter lent one); false if the getter
         * can no longer take it (it is then disconnected).
         */
        boolean deliver(FilterClient.Message message);

        void disconnected();
    }

    /** The user side's end of the connection as the transport sees it: a socket to close, or nothing. */
    interface UserEnd {
        void disconnected();

        /**
         * A sender waits for its reply ({@code done}) at most {@code nanos} (no limit if negative). A socket
         * transport reads the connection meanwhile, so the reply wakes the sender itself.
         */
        default void await(CompletableFuture<?> done, long nanos) throws InterruptedException {
            PortChannel.awaitFuture(done, nanos);
        }
    }

    /** A file lent with a message: its holder, until the client closes it or the message ends. */
    private record Lent(LentFile file, Holder holder) {
    }

    /** A filter's message in flight. */
    private static final class Outgoing {
        final long id;
        final byte[] data;
        final int replyCapacity;
        final LentFile file;
        final CompletableFuture<PortResult> done = new CompletableFuture<>();

        Outgoing(long id, byte[] data, int replyCapacity, LentFile file) {
            this.id = id;
            this.data = data;
            this.replyCapacity = replyCapacity;
            this.file = file;
        }

        FilterClient.Message message() {
            return new FilterClient.Message(id, replyCapacity, data, file);
        }
    }

    final ServerPort server;
    final PeerIdentity peer;
    private final byte[] context;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Outgoing> undelivered = new ArrayDeque<>();
    private final ArrayDeque<Getter> getters = new ArrayDeque<>();
    private final Map<Long, Outgoing> awaitingReply = new HashMap<>();
    private final Map<Long, Lent> lent = new HashMap<>(); // by message id
    private final CountDownLatch ended = new CountDownLatch(1);
    private final Holder holder;
    private State state = State.CONNECTING;
    private long nextId;
    private volatile UserEnd userEnd = () -> { };

    ClientPort(ServerPort server, PeerIdentity peer, byte[] context) {
        this.server = server;
        this.peer = peer;
        this.context = context.clone();
        this.holder = new Holder(HolderKind.CLIENT_PORT, null,
                "client port of '" + server.name() + "' for " + describe(peer), server.filter.verifier());
    }

    private static String describe(PeerIdentity p) {
        return p.user() + (p.processId().isPresent() ? " (pid " + p.processId().getAsLong() + ")" : "")
                + (p.inProcess() ? " in this JVM" : "");
    }

    /** The connecting peer. */
    public PeerIdentity peer() {
        return peer;
    }

    /** The connection context the client gave. */
    public byte[] context() {
        return context.clone();
    }

    /** The server port it connected to. */
    public String portName() {
        return server.name();
    }

    public boolean isConnected() {
        lock.lock();
        try {
            return state == State.CONNECTED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code FltCloseClientPort}: ends the connection from the filter's side. No disconnect notification
     * follows; blocked senders return {@link NtStatus#PORT_DISCONNECTED}, the user side sees it
     * disconnected. Closing again, or after a disconnect, does nothing.
     */
    public void close() {
        end(State.CLOSED);
    }

    // ---- the connection's life -----------------------------------------------------------------

    Holder holder() {
        return holder;
    }

    void attach(UserEnd end) {
        this.userEnd = end;
    }

    void connected() {
        lock.lock();
        try {
            state = State.CONNECTED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The other side closed or died, or the filter unloads: the disconnect notification runs once, here,
     * for whoever gets here first; the others wait until it has returned (so that unregister does not
     * return before it).
     */
    void disconnect() {
        if (!end(State.DISCONNECTED)) {
            awaitEnded();
        }
    }

    /** Ends the connection in {@code how}; true if this call did (and ran what follows). */
    private boolean end(State how) {
        List<Outgoing> released = new ArrayList<>();
        List<Getter> waiting;
        List<Long> returned;
        boolean notify;
        lock.lock();
        try {
            if (state == State.CLOSED || state == State.DISCONNECTED) {
                return false;
            }
            notify = how == State.DISCONNECTED && state == State.CONNECTED;
            state = how;
            released.addAll(undelivered);
            released.addAll(awaitingReply.values());
            undelivered.clear();
            awaitingReply.clear();
            returned = List.copyOf(lent.keySet());
            waiting = List.copyOf(getters);
            getters.clear();
        } finally {
            lock.unlock();
        }
        try {
            released.forEach(o -> o.done.complete(PortResult.of(NtStatus.PORT_DISCONNECTED)));
            returned.forEach(this::fileReturned);
            waiting.forEach(Getter::disconnected);
            userEnd.disconnected();
            if (notify) {
                server.filter.callPortDisconnect(server.callbacks().disconnect(), this);
            }
        } finally {
            server.forget(this);
            server.filter.holders.remove(holder);
            ended.countDown();
        }
        return true;
    }

    private void awaitEnded() {
        boolean interrupted = false;
        while (true) {
            try {
                ended.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- filter → user ----------------------------------------------------------------------------

    /** {@code FltSendMessage}: see {@link Filter#sendMessage(ClientPort, byte[], int, Duration)}. */
    PortResult send(byte[] data, int replyCapacity, Duration timeout) {
        return send(data, replyCapacity, timeout, null);
    }

    /**
     * {@link #send(byte[], int, Duration)} lending {@code file}, which is this port's from here on: a holder until
     * the client closes it or the message ends (the reply came, the sender stopped waiting, the connection ended),
     * closed then. {@link NtStatus#NOT_SUPPORTED} on a port whose access does not {@link PortAccess#lendsFiles}.
     */
    PortResult send(byte[] data, int replyCapacity, Duration timeout, LentFile file) {
        if (file != null && !server.access().lendsFiles()) {
            file.close();
            return PortResult.of(NtStatus.NOT_SUPPORTED);
        }
        Outgoing o;
        Getter getter;
        lock.lock();
        try {
            if (state != State.CONNECTED) {
                if (file != null) {
                    file.close();
                }
                return PortResult.of(NtStatus.PORT_DISCONNECTED);
            }
            o = new Outgoing(++nextId, data.clone(), replyCapacity, file);
            if (file != null) {
                Holder h = new Holder(HolderKind.LENT_FILE, null, "file lent with message " + o.id + " to client port of '"
                        + server.name() + "' for " + describe(peer), server.filter.verifier());
                server.filter.holders.add(h);
                lent.put(o.id, new Lent(file, h));
                long id = o.id;
                file.onClose(() -> fileReturned(id)); // a client in this JVM closes the very file
            }
            getter = getters.poll();
            if (getter != null) {
                deliveredLocked(o);
            } else if (timeout != null && timeout.isZero()) {
                o.done.complete(PortResult.of(NtStatus.TIMEOUT)); // nobody waits: not sent
            } else {
                undelivered.add(o);
            }
        } finally {
            lock.unlock();
        }
        try {
            return awaitSent(o, getter, timeout);
        } finally {
            if (file != null && (replyCapacity > 0 || !o.done.isDone() || o.done.join().status() != NtStatus.SUCCESS)) {
                fileReturned(o.id); // its message ended, or it was never taken
            }
        }
    }

    private PortResult awaitSent(Outgoing o, Getter getter, Duration timeout) {
        if (getter != null && !getter.deliver(o.message())) {
            disconnect();
        }
        if (o.done.isDone()) {
            return o.done.join();
        }
        Holder blocked = new Holder(HolderKind.BLOCKED_SENDER, null, "sender of message " + o.id + " to client port of '"
                + server.name() + "' for " + describe(peer), server.filter.verifier());
        server.filter.holders.add(blocked);
        try {
            userEnd.await(o.done, timeout == null ? -1 : timeout.toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return abandon(o, NtStatus.THREAD_IS_TERMINATING);
        } finally {
            server.filter.holders.remove(blocked);
        }
        return o.done.isDone() ? o.done.join() : abandon(o, NtStatus.TIMEOUT);
    }

    private void deliveredLocked(Outgoing o) {
        if (o.replyCapacity > 0) {
            awaitingReply.put(o.id, o);
        } else {
            o.done.complete(PortResult.of(NtStatus.SUCCESS));
        }
    }

    /** The sender stops waiting: the message is withdrawn if undelivered; a later reply finds no waiter. */
    private PortResult abandon(Outgoing o, NtStatus why) {
        lock.lock();
        try {
            if (!o.done.isDone()) {
                undelivered.remove(o);
                awaitingReply.remove(o.id);
                return PortResult.of(why);
            }
        } finally {
            lock.unlock();
        }
        return o.done.join();
    }

    /** The file lent with message {@code id} is back: the client closed it, or its message ended. Again: nothing. */
    void fileReturned(long id) {
        Lent l;
        lock.lock();
        try {
            l = lent.remove(id);
        } finally {
            lock.unlock();
        }
        if (l != null) {
            server.filter.holders.remove(l.holder);
            l.file.close();
        }
    }

    // ---- the user side ------------------------------------------------------------------------------

    /**
     * A user-side getter: takes the oldest undelivered message at once (returned, for the caller to hand
     * over), or waits in line. Null if it waits; {@link NtStatus#PORT_DISCONNECTED} as an exception if the
     * connection ended.
     */
    FilterClient.Message take(Getter getter) {
        lock.lock();
        try {
            if (state != State.CONNECTED) {
                throw new NtStatusException(NtStatus.PORT_DISCONNECTED, "the port is disconnected");
            }
            Outgoing o = undelivered.poll();
            if (o == null) {
                getters.add(getter);
                return null;
            }
            deliveredLocked(o);
            return o.message();
        } finally {
            lock.unlock();
        }
    }

    /** Withdraws a waiting getter; false if a message was handed to it already. */
    boolean cancel(Getter getter) {
        lock.lock();
        try {
            return getters.remove(getter);
        } finally {
            lock.unlock();
        }
    }

    /** {@code FilterReplyMessage}: {@link NtStatus#FLT_NO_WAITER_FOR_REPLY} if no sender waits for it. */
    NtStatus reply(long id, byte[] data) {
        lock.lock();
        try {
            if (state != State.CONNECTED) {
                return NtStatus.PORT_DISCONNECTED;
            }
            Outgoing o = awaitingReply.remove(id);
            if (o == null) {
                return NtStatus.FLT_NO_WAITER_FOR_REPLY;
            }
            // completed under the lock: a sender giving up (abandon) then sees it done and takes the reply
            o.done.complete(PortResult.fitted(data, o.replyCapacity));
            return NtStatus.SUCCESS;
        } finally {
            lock.unlock();
        }
    }

    /** {@code FilterSendMessage}: runs the message callback and returns its output. */
    PortResult userSend(byte[] input, int outputCapacity) {
        if (!isConnected()) {
            return PortResult.of(NtStatus.PORT_DISCONNECTED);
        }
        PortCallbacks.MessageHandler handler = server.callbacks().message();
        if (handler == null) {
            return PortResult.of(NtStatus.NOT_SUPPORTED);
        }
        return server.filter.callPortMessage(handler, this, input, outputCapacity);
    }

    @Override
    public String toString() {
        return "ClientPort[" + server.name() + ", " + describe(peer) + ", " + (isConnected() ? "connected" : "ended") + "]";
    }
}
