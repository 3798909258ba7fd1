package dev.altitude.core.probe;

import dev.altitude.core.Filter;
import dev.altitude.core.NtStatus;
import dev.altitude.core.UnloadFlag;
import java.util.Set;

/**
 * What a filter manager tells an observer about the filters it runs, so that a test kit can check the
 * manager's promises from outside the filter (a callback after unregister, a post-operation owed and called
 * other than once, a context cleaned other than once, a client disconnected twice). Attached with
 * {@link Probes#attach}; without one the manager does no work for it. Calls come on the threads that do the
 * work, often many at once: an implementation is thread-safe and quick, and never calls back into the manager.
 */
public interface Probe {

    /** One owed post-operation: the same object for its owing and its call. */
    record Operation(Object slot, long generation) {
    }

    /** A filter callback other than a pre- or post-operation is about to run ({@code what} names it). */
    default void callback(Filter filter, String what) {
    }

    /** A pre-operation callback is about to run. */
    default void preOperation(Filter filter, String what) {
    }

    /** A pre-operation (or a pended one, resumed) asked for its post-operation: it is owed now. */
    default void postOwed(Filter filter, Operation operation) {
    }

    /** An owed post-operation is about to be called, on the operation's thread or draining by a teardown. */
    default void postCalled(Filter filter, Operation operation, boolean draining) {
    }

    /** A context was allocated ({@code context} stands for it until its cleanup). */
    default void contextAllocated(Filter filter, Object context) {
    }

    /** The last reference on a context is gone: its cleanup runs now (the filter's cleanup callback, if any). */
    default void contextFreed(Filter filter, Object context) {
    }

    /** A server port was created. */
    default void portCreated(Filter filter, String port) {
    }

    /** A client of a server port is disconnected: its disconnect notification is about to run. */
    default void clientDisconnected(Filter filter, Object client) {
    }

    /** The unload callback returned {@code status} for an unload with {@code flags}. */
    default void unloadCallbackReturned(Filter filter, Set<UnloadFlag> flags, NtStatus status) {
    }

    /** The filter's unregister finished: no callback of it may run from now on. */
    default void unregistered(Filter filter) {
    }
}
