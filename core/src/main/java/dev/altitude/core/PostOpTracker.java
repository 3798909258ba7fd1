package dev.altitude.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The post-operations an instance is owed, so that a teardown can drain them. Slots are kept in a few
 * striped intrusive lists (a thread always uses the same stripe), so adding and removing touch one small
 * lock that is rarely contended.
 */
final class PostOpTracker {
    static final class Stripe {
        private static final java.lang.invoke.VarHandle LOCK;

        static {
            try {
                LOCK = java.lang.invoke.MethodHandles.lookup().findVarHandle(Stripe.class, "locked", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final OperationSlot head = new OperationSlot(null, null, null, null);
        int size;
        @SuppressWarnings("unused") // through LOCK
        private volatile int locked;
        // keeps two stripes' hot fields off one cache line (the stripes are allocated one after the other)
        @SuppressWarnings("unused")
        long p1, p2, p3, p4, p5, p6, p7, p8;

        /**
         * A spin lock: held for a few pointer writes only, nearly always by the stripe's own thread. Taking it
         * is one CAS and giving it back one release store (a monitor costs a CAS each way).
         */
        void lock() {
            while (!LOCK.compareAndSet(this, 0, 1)) {
                Thread.onSpinWait();
            }
        }

        void unlock() {
            LOCK.setRelease(this, 0);
        }

        Stripe() {
            head.prev = head;
            head.next = head;
        }
    }

    private final Stripe[] stripes = new Stripe[Stripes.COUNT];
    private volatile boolean draining;

    PostOpTracker() {
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new Stripe();
        }
    }

    void add(OperationSlot slot) {
        Stripe s = stripes[Stripes.ofCurrentThread()];
        s.lock();
        try {
            slot.stripe = s;
            slot.prev = s.head.prev;
            slot.next = s.head;
            s.head.prev.next = slot;
            s.head.prev = slot;
            s.size++;
        } finally {
            s.unlock();
        }
    }

    void remove(OperationSlot slot) {
        Stripe s = slot.stripe;
        s.lock();
        try {
            slot.prev.next = slot.next;
            slot.next.prev = slot.prev;
            slot.prev = null;
            slot.next = null;
            s.size--;
        } finally {
            s.unlock();
        }
        if (draining) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** Every slot still owed or running, oldest first within a stripe. */
    List<OperationSlot> snapshot() {
        List<OperationSlot> all = new ArrayList<>();
        forEach(all::add);
        return all;
    }

    /** Visits every slot in the trackers' lists, each stripe under its lock. */
    private void forEach(java.util.function.Consumer<OperationSlot> visit) {
        for (Stripe s : stripes) {
            s.lock();
            try {
                for (OperationSlot o = s.head.next; o != s.head; o = o.next) {
                    visit.accept(o);
                }
            } finally {
                s.unlock();
            }
        }
    }

    int size() {
        int n = 0;
        for (Stripe s : stripes) {
            s.lock();
            try {
                n += s.size;
            } finally {
                s.unlock();
            }
        }
        return n;
    }

    /**
     * Claims every slot still owed and hands it to {@code drainOne} (which calls the post-operation with
     * the draining flag), except slots of operations whose parameters were replaced: those must complete.
     * Call only once no pre-operation can add a slot any more.
     */
    void drainOwed(java.util.function.Consumer<OperationSlot> drainOne) {
        draining = true;
        List<OperationSlot> slots = new ArrayList<>();
        List<Long> generations = new ArrayList<>();
        forEach(o -> {
            slots.add(o);
            generations.add(o.generation()); // while it is owed here: a reused slot fails the claim below
        });
        for (int i = 0; i < slots.size(); i++) {
            OperationSlot slot = slots.get(i);
            if (!slot.mustComplete && slot.claim(generations.get(i), OperationSlot.DRAINING)) {
                try {
                    drainOne.accept(slot);
                } finally {
                    slot.done();
                    remove(slot);
                }
            }
        }
    }

    /** Waits for the post-operations that run (or must complete) on their own threads; true when none is left. */
    boolean awaitEmpty(long millis) throws InterruptedException {
        draining = true;
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (this) {
            while (size() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
        return true;
    }
}
