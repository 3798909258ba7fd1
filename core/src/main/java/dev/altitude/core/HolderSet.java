package dev.altitude.core;

import dev.altitude.core.rundown.Rundown;
import dev.altitude.core.rundown.Waits;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Rundown protection whose holders are known: each holder is a {@link Holder} kept in a set, so a
 * report can list them. Acquire and release cost a set insertion more than a plain {@link Rundown}; it
 * is for holders off the per-operation path (references, work items, files, pended operations).
 */
final class HolderSet {
    private final Rundown rundown = new Rundown();
    private final Set<Holder> holders = ConcurrentHashMap.newKeySet();

    /** Adds the holder unless a rundown began. */
    boolean tryAdd(Holder h) {
        if (!rundown.acquire()) {
            return false;
        }
        holders.add(h);
        return true;
    }

    /** Adds the holder even during a rundown (for holders that may come while tearing down, e.g. filter I/O). */
    void add(Holder h) {
        rundown.acquireAlways();
        holders.add(h);
    }

    boolean contains(Holder h) {
        return holders.contains(h);
    }

    /** Removes a holder; false if it was not there (released twice). */
    boolean remove(Holder h) {
        if (!holders.remove(h)) {
            return false;
        }
        rundown.release();
        return true;
    }

    void beginRundown() {
        rundown.beginRundown();
    }

    boolean isRunDown() {
        return rundown.isRunDown();
    }

    /** Begins the rundown and waits for every holder, for at most {@code millis}; true if none is left. */
    boolean awaitRelease(long millis) throws InterruptedException {
        return rundown.awaitRelease(millis, TimeUnit.MILLISECONDS);
    }

    /** Waits until there is no holder without refusing new ones; true if none is left. */
    boolean awaitIdle(long millis) throws InterruptedException {
        return rundown.awaitIdle(millis, TimeUnit.MILLISECONDS);
    }

    List<Holder> snapshot() {
        return List.copyOf(holders);
    }

    int size() {
        return holders.size();
    }
}
