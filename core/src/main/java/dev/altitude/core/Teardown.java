package dev.altitude.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The teardown of a set of instances for one reason (spec §3, decision 4), and the only code that tears
 * instances down: unregister ({@link Unregistration}), detach ({@link FilterManager#detach}), dismount
 * ({@link Volume}) and an attach that lost its race against unregister ({@link Filter}) each claim the
 * instances they may, run this, and wait for the ones someone else claimed.
 *
 * <p>{@link #of} claims: each instance leaves its volume's stack and no pre-operation, reference or context
 * set starts on it ({@link Instance#beginTeardown}); an instance whose teardown someone else claimed first is
 * only waited for. {@link #run} then goes through the claimed ones phase by phase, all of them through a
 * phase before any enters the next: teardown-start, drain, teardown-complete, references and contexts,
 * finish; then it waits for the others.
 */
final class Teardown {
    private final TeardownReason reason;
    private final List<Instance> claimed = new ArrayList<>();
    private final List<Instance> claimedElsewhere = new ArrayList<>();

    private Teardown(TeardownReason reason) {
        this.reason = reason;
    }

    /** Claims each instance's teardown that nobody claimed before. */
    static Teardown of(Collection<Instance> instances, TeardownReason reason) {
        Teardown t = new Teardown(reason);
        for (Instance i : instances) {
            (i.beginTeardown(reason) ? t.claimed : t.claimedElsewhere).add(i);
        }
        return t;
    }

    TeardownReason reason() {
        return reason;
    }

    /** True if this teardown claimed every instance it was given (a detach refuses otherwise). */
    boolean claimedAll() {
        return claimedElsewhere.isEmpty();
    }

    /** Tears the claimed instances down, then waits until the others' teardowns are done too. */
    void run() {
        start();
        drain();
        complete();
        releaseReferencesAndContexts();
        finish();
        awaitClaimedElsewhere();
    }

    /** {@code InstanceTeardownStart} on each. */
    private void start() {
        claimed.forEach(Instance::teardownStart);
    }

    /** Running and pended operations finish, owed post-operations are drained, the filter's own I/O ends. */
    private void drain() {
        claimed.forEach(Instance::drain);
    }

    /** {@code InstanceTeardownComplete} on each. */
    private void complete() {
        claimed.forEach(Instance::teardownComplete);
    }

    /** Object references on each released; the contexts linked through each deleted. */
    private void releaseReferencesAndContexts() {
        claimed.forEach(Instance::releaseReferencesAndContexts);
    }

    /** Gone: names and altitudes free on their volumes. */
    private void finish() {
        claimed.forEach(Instance::finishTeardown);
    }

    private void awaitClaimedElsewhere() {
        claimedElsewhere.forEach(Instance::awaitTornDown);
    }
}
