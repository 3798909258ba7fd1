package dev.altitude.core.frame;

/**
 * Whose callback a thread is in, as a thread's {@link CallbackFrame} and its {@link OperationSlot}s record it: an
 * instance (its pre- and post-operations, its teardown callbacks) or a filter (a filter-wide callback). A marker:
 * the frames compare owners, they never call them.
 */
public interface CallbackOwner {
}
