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
        final OperationSlot head = new OperationSlot(null, null, null, null);
        int size;

        Stripe() {
            head.prev = head;
            head.next = head;
        }
    }

    private static final int STRIPES = Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors()) * 2 - 1) * 2;

    private final Stripe[] stripes = new Stripe[STRIPES];
    private volatile boolean draining;

    PostOpTracker() {
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new Stripe();
        }
    }

    void add(OperationSlot slot) {
        Stripe s = stripes[(int) Thread.currentThread().threadId() & (STRIPES - 1)];
        synchronized (s) {
            slot.stripe = s;
            slot.prev = s.head.prev;
            slot.next = s.head;
            s.head.prev.next = slot;
            s.head.prev = slot;
            s.size++;
        }
    }

    void remove(OperationSlot slot) {
        Stripe s = slot.stripe;
        synchronized (s) {
            slot.prev.next = slot.next;
            slot.next.prev = slot.prev;
            slot.prev = null;
            slot.next = null;
            s.size--;
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
        for (Stripe s : stripes) {
            synchronized (s) {
                for (OperationSlot o = s.head.next; o != s.head; o = o.next) {
                    all.add(o);
                }
            }
        }
        return all;
    }

    int size() {
        int n = 0;
        for (Stripe s : stripes) {
            synchronized (s) {
                n += s.size;
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
        for (OperationSlot slot : snapshot()) {
            if (!slot.mustComplete && slot.claim(OperationSlot.DRAINING)) {
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
