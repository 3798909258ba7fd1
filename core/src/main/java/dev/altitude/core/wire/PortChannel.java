package dev.altitude.core.wire;

import dev.altitude.core.NtStatusException;
import dev.altitude.core.rundown.Waits;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * One port connection's socket, read by the thread that waits for what comes on it (leader/follower).
 *
 * <p>A thread waiting for a frame (a sender for its reply, a getter for a message) reads the socket itself
 * when nobody else does: it <em>leads</em>. The frame it waits for then wakes it directly, instead of
 * waking a reader thread that must in turn wake it (on a virtual machine each wake-up costs 15–30 µs). What
 * the leader reads for others goes to the {@link Receiver}, and the others are woken. A side that must also
 * read while nobody waits (the server: a client's disconnect, its messages, its GET credits) runs
 * {@link #serve} on a thread of its own, which leads only while no one else waits and gives the lead up
 * at the next frame boundary once someone does. Bytes of a frame not yet whole stay in the shared
 * {@link PortWire.Reader}, so the lead can change hands anywhere.
 *
 * <p>The socket is non-blocking and waits are on a selector: a leader can be asked to give up the lead
 * ({@link Selector#wakeup}), gives it up at its deadline, and an interrupt wakes it without closing the
 * socket. Writes are whole frames under one lock. A side with no reader of its own (the client) reads while
 * a write waits for room, so two sides writing large frames to each other never both stall.
 */
public final class PortChannel {
    /** What the leader reads, one frame at a time, on the leader's thread. */
    public interface Receiver {
        public void received(PortWire.Frame frame) throws IOException;

        /** The connection ended (called once, by the thread that found it so). */
        public default void ended(IOException why) {
        }
    }

    /** Deadlines: none, and a look at what has come without waiting. */
    private static final long FOREVER = Long.MIN_VALUE;
    private static final long NOW = Long.MIN_VALUE + 1;
    /**
     * How long the background reader lets a leader keep the lead before it asks to be woken when the lead
     * is let go. Up to then it looks again this often instead: waking it on every release would cost each
     * round trip a wake-up, the very cost leading saves.
     */
    public static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final SocketChannel channel;
    private final Receiver receiver;
    private final boolean readsWhileWriting;
    private final Selector readable;
    private final SelectionKey readKey;
    private final PortWire.Reader reader = new PortWire.Reader(); // the leader's
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition followers = lock.newCondition();
    private final Condition idle = lock.newCondition();
    private final Object writeLock = new Object();
    private volatile Selector writable; // made under writeLock when a write first waits for room
    private Thread leader; // under lock
    private Thread background; // under lock
    private long leadSince; // under lock: when the present leader took the lead
    private boolean backgroundWaitsUntimed; // under lock
    private int blockedWriters; // under lock
    private volatile int waiting; // threads in await; written under lock
    private volatile int following; // of them, those parked on followers; written under lock
    private volatile IOException ended;

    /** Takes over a connected socket and makes it non-blocking. */
    public PortChannel(SocketChannel channel, Receiver receiver, boolean readsWhileWriting) throws IOException {
        this.channel = channel;
        this.receiver = receiver;
        this.readsWhileWriting = readsWhileWriting;
        this.readable = Selector.open();
        try {
            channel.configureBlocking(false);
            this.readKey = channel.register(readable, SelectionKey.OP_READ);
        } catch (IOException | RuntimeException e) {
            readable.close();
            throw e;
        }
    }

    /** Why the connection ended, or null while it lasts. */
    public IOException ended() {
        return ended;
    }

    // ---- reading ------------------------------------------------------------------------------------

    /**
     * Waits until {@code done} holds, the connection ends, or {@code nanos} pass (no limit if negative),
     * reading the socket meanwhile whenever nobody else does. True if {@code done} held. {@code done} is
     * asked under this channel's lock: it must take no lock of its own.
     */
    public boolean await(BooleanSupplier done, long nanos) throws InterruptedException {
        long deadline = nanos < 0 ? FOREVER : System.nanoTime() + nanos;
        lock.lock();
        waiting++;
        try {
            while (true) {
                if (done.getAsBoolean()) {
                    return true;
                }
                long left = left(deadline);
                if (ended != null || left == 0) {
                    return false;
                }
                if (leader == null) {
                    take();
                    lock.unlock();
                    try {
                        lead(done, deadline);
                    } finally {
                        lock.lock();
                        release(1);
                    }
                } else {
                    if (leader == background) {
                        readable.wakeup(); // the background reader gives the lead up at the next frame boundary
                    }
                    following++;
                    try {
                        // counted first, then looked at again: a leader that hands this thread its frame
                        // either sees it following (and wakes it) or has already made done hold
                        if (done.getAsBoolean()) {
                            return true;
                        }
                        if (left < 0) {
                            followers.await();
                        } else {
                            followers.awaitNanos(left);
                        }
                    } finally {
                        following--;
                    }
                }
            }
        } finally {
            waiting--;
            if (waiting == 0 && leader == null && backgroundWaitsUntimed) {
                idle.signal();
            }
            lock.unlock();
        }
    }

    /**
     * Waits for {@code f} as {@link #await} does; once the connection has ended, on {@code f} alone for the
     * rest of the time (whoever ends a connection completes what waits on it).
     */
    public void awaitDone(CompletableFuture<?> f, long nanos) throws InterruptedException {
        long start = System.nanoTime();
        if (await(f::isDone, nanos) || ended == null) {
            return;
        }
        awaitFuture(f, nanos < 0 ? -1 : Math.max(0, nanos - (System.nanoTime() - start)));
    }

    /** Waits for {@code f} at most {@code nanos} (no limit if negative); the caller looks at {@code f}. */
    public static void awaitFuture(CompletableFuture<?> f, long nanos) throws InterruptedException {
        try {
            if (nanos < 0) {
                f.get();
            } else {
                f.get(nanos, TimeUnit.NANOSECONDS);
            }
        } catch (ExecutionException | TimeoutException e) {
            // not done, or done some other way: the caller decides
        }
    }

    /** Reads whatever has come, without waiting, if nobody else is reading. */
    public void poll() {
        lock.lock();
        try {
            if (leader != null || ended != null) {
                return;
            }
            take();
            lock.unlock();
            try {
                lead(() -> false, NOW);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // it does not wait, so it was not interrupted while waiting
            } finally {
                lock.lock();
                release(0);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The side's own reader: leads whenever no one else waits, until the connection ends, then throws why
     * it ended ({@link java.io.EOFException} for a clean close by the other side).
     */
    public void serve() throws IOException {
        lock.lock();
        background = Thread.currentThread();
        try {
            while (ended == null) {
                if (leader == null && waiting == 0) {
                    take();
                    lock.unlock();
                    try {
                        lead(() -> waiting > 0, FOREVER);
                    } catch (InterruptedException e) {
                        end(new ClosedByInterruptException());
                    } finally {
                        lock.lock();
                        release(0);
                    }
                } else if (leader != null && System.nanoTime() - leadSince > RECHECK_NANOS) {
                    backgroundWaitsUntimed = true; // a long lead: its leader wakes this thread when it lets go
                    try {
                        idle.awaitUninterruptibly();
                    } finally {
                        backgroundWaitsUntimed = false;
                    }
                } else {
                    try {
                        idle.await(RECHECK_NANOS, TimeUnit.NANOSECONDS);
                    } catch (InterruptedException e) {
                        end(new ClosedByInterruptException());
                    }
                }
            }
            throw ended;
        } finally {
            background = null;
            lock.unlock();
        }
    }

    /** Takes the lead (under the lock). */
    private void take() {
        leader = Thread.currentThread();
        leadSince = System.nanoTime();
    }

    /**
     * Gives the lead up (under the lock): to a waiter, or else back to the background reader, which takes
     * it up within {@link #RECHECK_NANOS} (or at once, woken, after a long lead).
     */
    private void release(int selfWaiting) {
        leader = null;
        if (waiting > selfWaiting) {
            followers.signalAll();
        } else if (backgroundWaitsUntimed) {
            idle.signal();
        }
        if (blockedWriters > 0 && writable != null) {
            writable.wakeup();
        }
    }

    /** Nanoseconds left until {@code deadline}: negative if there is none, 0 once it passed (or for NOW). */
    private static long left(long deadline) {
        if (deadline == FOREVER) {
            return -1;
        }
        return deadline == NOW ? 0 : Math.max(0, deadline - System.nanoTime());
    }

    /** As the leader: reads and hands on frames until {@code done}, the deadline, or the end. */
    private void lead(BooleanSupplier done, long deadline) throws InterruptedException {
        boolean more = deadline == NOW; // a look without waiting reads at once; a wait selects first
        try {
            while (!done.getAsBoolean()) {
                PortWire.Frame f = reader.next();
                if (f != null) {
                    receiver.received(f);
                    if (following > 0) {
                        wakeFollowers();
                    }
                    continue;
                }
                if (more) {
                    int n = reader.fill(channel);
                    more = n > 0 && reader.full(); // a read that left room emptied the socket
                    if (n > 0) {
                        continue;
                    }
                }
                long left = left(deadline);
                if (left == 0) {
                    return;
                }
                // the socket's readiness is level-triggered: bytes that came before this wait end it at once
                readable.select(k -> { }, left < 0 ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999)));
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                more = true;
            }
        } catch (IOException | IllegalStateException | NtStatusException e) {
            end(e); // IllegalStateException: the selector or its key closed with the connection
        }
    }

    private void wakeFollowers() {
        lock.lock();
        try {
            followers.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- writing ------------------------------------------------------------------------------------

    /** Writes the frames in one go (one gathering write); a failure ends the connection. */
    public void write(PortWire.Frame... frames) throws IOException {
        ByteBuffer[] parts = new ByteBuffer[frames.length];
        for (int i = 0; i < frames.length; i++) {
            parts[i] = PortWire.encode(frames[i]);
        }
        ByteBuffer last = parts[parts.length - 1];
        synchronized (writeLock) {
            try {
                while (last.hasRemaining()) {
                    if (ended != null) {
                        throw new ClosedChannelException();
                    }
                    if (channel.write(parts) == 0) {
                        awaitRoom();
                    }
                }
            } catch (IOException | IllegalStateException e) {
                end(e);
                throw e instanceof IOException io ? io : new ClosedChannelException();
            }
        }
    }

    /** Waits until the socket takes bytes again; reading meanwhile if this side has no reader of its own. */
    private void awaitRoom() throws IOException {
        boolean leads = false;
        lock.lock();
        try {
            if (readsWhileWriting && leader == null) {
                take();
                leads = true;
            } else {
                blockedWriters++;
            }
        } finally {
            lock.unlock();
        }
        try {
            if (leads) {
                readKey.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                readable.select(k -> { }, 0);
                readKey.interestOps(SelectionKey.OP_READ);
                lead(() -> false, NOW); // take what came, so the other side can write on
            } else {
                if (writable == null) {
                    writable = Selector.open();
                    channel.register(writable, SelectionKey.OP_WRITE);
                }
                writable.select(k -> { }, 0);
            }
            if (Thread.currentThread().isInterrupted()) {
                throw new ClosedByInterruptException(); // half a frame is out: the connection cannot go on
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClosedByInterruptException();
        } finally {
            lock.lock();
            try {
                if (leads) {
                    release(0);
                } else {
                    blockedWriters--;
                }
            } finally {
                lock.unlock();
            }
        }
    }

    // ---- the end ------------------------------------------------------------------------------------

    /** Ends the connection from this side. */
    public void close() {
        end(new ClosedChannelException());
    }

    /** The largest frame body this side takes from now on (the leader's reader; set before or while serving). */
    public void limitFrames(int maxFrame) {
        reader.limit(maxFrame);
    }

    private void end(Exception e) {
        IOException why = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        boolean first;
        lock.lock();
        try {
            first = ended == null;
            if (first) {
                ended = why;
            }
            followers.signalAll();
            idle.signalAll();
        } finally {
            lock.unlock();
        }
        if (!first) {
            return;
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a socket that broke
        }
        readable.wakeup();
        Selector w = writable; // a writer that makes it after this look registers on a closed socket and fails
        if (w != null) {
            w.wakeup();
        }
        closeSelectors();
        receiver.ended(why);
    }

    private void closeSelectors() {
        try {
            readable.close();
            synchronized (writeLock) {
                if (writable != null) {
                    writable.close();
                }
            }
        } catch (IOException ignored) {
            // nothing more to free
        }
    }
}
