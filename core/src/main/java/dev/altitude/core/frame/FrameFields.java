package dev.altitude.core.frame;

/** 128 bytes before a frame's fields: see {@link FrameFields}. */
abstract class FramePadding {
    @SuppressWarnings("unused")
    private long p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15;
}

/**
 * The fields of a {@link CallbackFrame}, padded on either side as a slot's are ({@link SlotFields}): a thread writes
 * its frame's top at every operation, and two threads' frames must not share a cache line.
 */
abstract class FrameFields extends FramePadding {
    public final Thread thread = Thread.currentThread();
    /** The filter-wide callbacks and teardown callbacks the thread is inside, innermost last. */
    CallbackOwner[] owners = new CallbackOwner[8];
    int depth;
    /** The thread's filter stack, reused by each operation; replaced (grown) only by this thread. */
    volatile OperationSlot[] slots = new OperationSlot[0];
    /** Slots below it are in use by operations this thread is inside (an operation issued from a callback uses those above). */
    int top;

    /** The registry this thread joined last (only this thread reads or writes it). */
    FrameRegistry joined;
}
