package dev.altitude.core.frame;

/** 128 bytes before a slot's fields: see {@link SlotFields}. */
abstract class SlotPadding {
    @SuppressWarnings("unused")
    private long p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15;
}

/**
 * The fields of an {@link OperationSlot}, with 128 bytes of padding on either side (a superclass before, the slot's
 * own fields after: the JVM lays a class's fields out after its superclass's). Each thread writes its own slots at
 * every operation; when the collector copies two threads' slots next to each other, unpadded they would share a
 * cache line (or its neighbour, which the prefetcher pulls along) and every write would take it from the other
 * core. Measured in bench/notes.md ("Two threads, found").
 */
abstract class SlotFields extends SlotPadding {
    /** The frame (thread) this slot belongs to, and its level there. */
    final CallbackFrame frame;
    final int level;

    // written by the owning thread before the state that publishes them; read by others after reading that state
    CallbackOwner owner;
    Object operation;
    Object completionContext;
    /** When the post-operation became owed, to {@link dev.altitude.core.clock.CoarseClock}'s resolution (for the report). */
    long since;
    /** A filter replaced the operation's parameters: it must complete, not be drained (swapBuffers). */
    boolean mustComplete;

    @SuppressWarnings("unused") // accessed through WORD
    volatile long word;

    SlotFields(CallbackFrame frame, int level) {
        this.frame = frame;
        this.level = level;
    }
}
