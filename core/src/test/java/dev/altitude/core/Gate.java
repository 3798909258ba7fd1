package dev.altitude.core;

import java.util.concurrent.CountDownLatch;

/** A place a callback or backend stops at: {@link #pass()} signals {@link #entered} and waits for {@link #open}. */
class Gate {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch open = new CountDownLatch(1);

    void pass() {
        entered.countDown();
        Await.latch(open);
    }

    void awaitEntered() {
        Await.latch(entered);
    }

    void open() {
        open.countDown();
    }
}
