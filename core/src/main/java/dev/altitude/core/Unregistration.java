package dev.altitude.core;

import java.util.List;

/**
 * One filter's {@code FltUnregisterFilter}, from the first step to the last, in the order of decision 4.
 * Made by {@link Filter#unregister} (inside the unload callback, from the filter's own thread, or by the
 * manager when it unregisters a filter itself) with the reason its instances are torn down for; the
 * reason is passed in, never read from a field.
 *
 * <ol>
 * <li>{@link #markDeleting}: new references, attaches and ports fail with {@link NtStatus#FLT_DELETING_OBJECT};</li>
 * <li>{@link #stopPresenting}: every instance's teardown claimed ({@link Teardown}): out of its stack;</li>
 * <li>{@link #disconnectClients}: every client port disconnected, once;</li>
 * <li>{@link #tearDownInstances}: the teardown run, and the teardowns others claimed waited for;</li>
 * <li>{@link #deleteContexts}: the filter's volume contexts deleted, what is left checked by the verifier;</li>
 * <li>{@link #awaitHolders}: every remaining rundown holder released;</li>
 * <li>{@link #done}: no callback of the filter runs again.</li>
 * </ol>
 * Each wait is watched ({@link Filter#await}): past the warning threshold it reports what it waits for.
 */
final class Unregistration {
    private final Filter filter;
    private final TeardownReason reason;
    private Teardown teardown;

    Unregistration(Filter filter, TeardownReason reason) {
        this.filter = filter;
        this.reason = reason;
    }

    TeardownReason reason() {
        return reason;
    }

    /** Runs every step; returns at once if another unregistration of the filter ran or runs (waiting for it). */
    void run() {
        List<Instance> attached = markDeleting();
        if (attached == null) {
            return;
        }
        stopPresenting(attached);
        disconnectClients();
        tearDownInstances();
        deleteContexts();
        awaitHolders();
        done();
    }

    /** Step 1. Null if the filter was unregistering or unregistered already. */
    private List<Instance> markDeleting() {
        List<Instance> attached = filter.beginDraining(this);
        if (attached != null) {
            filter.holders.beginRundown();
        }
        return attached;
    }

    /** Step 2. */
    private void stopPresenting(List<Instance> attached) {
        teardown = Teardown.of(attached, reason);
    }

    /** Step 3: blocked senders released, each client's disconnect notification once. */
    private void disconnectClients() {
        filter.disconnectServerPortsForUnload();
    }

    /** Step 4. */
    private void tearDownInstances() {
        teardown.run();
    }

    /** Step 5. */
    private void deleteContexts() {
        filter.contexts.deleteForUnregister();
    }

    /** Step 6: contexts still referenced, object references, work items, files it opened, attaches, open ports. */
    private void awaitHolders() {
        filter.await("unregister: remaining references", filter.holders::awaitRelease);
    }

    /** Step 7. */
    private void done() {
        filter.finishUnregistering();
    }
}
