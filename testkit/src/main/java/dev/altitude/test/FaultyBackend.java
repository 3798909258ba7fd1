package dev.altitude.test;

import dev.altitude.core.CallbackData;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.VolumeBackend;
import dev.altitude.core.VolumeCapabilities;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A backend that injects faults below your filter, so that its failure and pended paths run: operations
 * that fail with a status, that take longer, or that do not complete until the test releases them. Rules are
 * checked in the order they were added; the first that matches an operation applies to it (and, if it has
 * a count, uses one up). Operations no rule matches go to the backend beneath unchanged.
 *
 * <pre>{@code
 * FaultyBackend disk = FaultyBackend.over(new MemoryBackend())
 *         .fail(MajorFunction.WRITE, "/full.txt", NtStatus.DISK_FULL)
 *         .delay(MajorFunction.READ, Duration.ofMillis(5));
 * FaultyBackend.Hold held = disk.hold(MajorFunction.CREATE, "/slow.txt");
 * ... held.awaitHeld(1); unload while the open waits below the filter; held.release();
 * }</pre>
 */
public final class FaultyBackend implements VolumeBackend {
    private final VolumeBackend below;
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final AtomicInteger injected = new AtomicInteger();

    private FaultyBackend(VolumeBackend below) {
        this.below = below;
    }

    /** Faults injected in front of {@code below}. */
    public static FaultyBackend over(VolumeBackend below) {
        return new FaultyBackend(below);
    }

    /** Which operations a rule takes: a major function, and a file path (null: any, or the volume itself). */
    public static Predicate<CallbackData> on(MajorFunction major, String path) {
        return d -> d.majorFunction() == major
                && (path == null || d.fileObject() != null && d.fileObject().path().equals(path));
    }

    private abstract static class Rule {
        final Predicate<CallbackData> which;
        final AtomicInteger left;

        Rule(Predicate<CallbackData> which, int times) {
            this.which = which;
            this.left = new AtomicInteger(times);
        }

        boolean takes(CallbackData d) {
            if (!which.test(d)) {
                return false;
            }
            while (true) {
                int n = left.get();
                if (n == 0) {
                    return false;
                }
                if (n < 0 || left.compareAndSet(n, n - 1)) {
                    return true;
                }
            }
        }

        /** Applies to {@code d}; true if the backend beneath still carries it out. */
        abstract boolean apply(CallbackData d);
    }

    /** Operations {@code which} takes fail with {@code status} (the backend never sees them), every time. */
    public FaultyBackend fail(Predicate<CallbackData> which, NtStatus status) {
        return fail(which, status, -1);
    }

    /** The first {@code times} operations {@code which} takes fail with {@code status}. */
    public FaultyBackend fail(Predicate<CallbackData> which, NtStatus status, int times) {
        rules.add(new Rule(which, times) {
            @Override
            boolean apply(CallbackData d) {
                d.complete(status, 0);
                return false;
            }
        });
        return this;
    }

    public FaultyBackend fail(MajorFunction major, String path, NtStatus status) {
        return fail(on(major, path), status);
    }

    /** Operations {@code which} takes are carried out {@code latency} late. */
    public FaultyBackend delay(Predicate<CallbackData> which, Duration latency) {
        rules.add(new Rule(which, -1) {
            @Override
            boolean apply(CallbackData d) {
                try {
                    Thread.sleep(latency); // injected latency is what this rule is for
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return true;
            }
        });
        return this;
    }

    public FaultyBackend delay(MajorFunction major, Duration latency) {
        return delay(on(major, null), latency);
    }

    /**
     * Operations {@code which} takes wait below the filter until {@link Hold#release()} (then they are carried out);
     * meanwhile they are I/O in flight under every instance above.
     */
    public Hold hold(Predicate<CallbackData> which) {
        Hold h = new Hold();
        rules.add(new Rule(which, -1) {
            @Override
            boolean apply(CallbackData d) {
                h.waitHere();
                return true;
            }
        });
        return h;
    }

    public Hold hold(MajorFunction major, String path) {
        return hold(on(major, path));
    }

    /** Operations held by a {@link #hold} rule: how many wait, and their release. */
    public static final class Hold {
        private final CountDownLatch released = new CountDownLatch(1);
        private final Semaphore arrived = new Semaphore(0);
        private final AtomicInteger waiting = new AtomicInteger();

        private void waitHere() {
            waiting.incrementAndGet();
            arrived.release();
            try {
                released.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                waiting.decrementAndGet();
            }
        }

        /** Waits until {@code n} operations (counted from the start) have arrived; false after {@code limit}. */
        public boolean awaitHeld(int n, Duration limit) throws InterruptedException {
            if (!arrived.tryAcquire(n, limit.toNanos(), TimeUnit.NANOSECONDS)) {
                return false;
            }
            arrived.release(n);
            return true;
        }

        /** Operations waiting now. */
        public int waiting() {
            return waiting.get();
        }

        /** Lets every held operation (and every later one) go on. */
        public void release() {
            released.countDown();
        }
    }

    @Override
    public void perform(CallbackData data) {
        for (Rule r : rules) {
            if (r.takes(data)) {
                injected.incrementAndGet();
                if (!r.apply(data)) {
                    return;
                }
                break;
            }
        }
        below.perform(data);
    }

    /** How many operations a rule took so far (failed, delayed or held). */
    public int injected() {
        return injected.get();
    }

    @Override
    public String fileSystemType() {
        return below.fileSystemType();
    }

    @Override
    public VolumeCapabilities capabilities() {
        return below.capabilities();
    }

    @Override
    public dev.altitude.core.VolumeProperties properties() {
        return below.properties();
    }

    @Override
    public dev.altitude.core.LentFile lendFile(dev.altitude.core.FileObject file) {
        return below.lendFile(file);
    }

    @Override
    public void close() {
        below.close();
    }
}
