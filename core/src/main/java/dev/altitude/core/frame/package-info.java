/**
 * What each thread is inside: its {@link dev.altitude.core.frame.CallbackFrame} (the callbacks it runs and a stack
 * of {@link dev.altitude.core.frame.OperationSlot}s, one per instance an operation visits), the
 * {@link dev.altitude.core.frame.FrameRegistry} of a manager (the threads its teardowns look at) and an instance's
 * {@link dev.altitude.core.frame.CallbackRundown} (what its teardown waits for and drains). Owners are opaque
 * ({@link dev.altitude.core.frame.CallbackOwner}); the frames compare them and never call them. Not exported.
 */
package dev.altitude.core.frame;
