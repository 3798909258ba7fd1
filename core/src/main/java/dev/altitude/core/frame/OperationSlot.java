package dev.altitude.core.frame;

import dev.altitude.core.clock.CoarseClock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One level of a thread's filter stack: the owner (an instance) whose pre-operation the thread is in, then the
 * post-operation that owner is owed (its own for the operation's major function). What the operation is, is the
 * owner's business: the slot keeps it and the completion context for whoever runs the post-operation. Slots belong to a thread's {@link CallbackFrame} and are reused
 * from operation to operation; an instance's {@link CallbackRundown} finds its slots by looking at every
 * thread's frame, so taking and giving one back costs no shared write.
 *
 * <p>The word holds the state in its low three bits and the slot's generation above them; every
 * {@link #enter} starts a new generation:
 * <pre>
 *   FREE ─enter→ PRE ─┬─ park → PARKED ─ unpark → PRE
 *                     ├─ owe → OWED ─┬─ claim (the operation's thread) → RUNNING ─ done → FREE
 *                     │              └─ claim (a teardown, same generation) → DRAINING ─ drained → DRAINED
 *                     └─ free → FREE
 * </pre>
 * Whoever claims an owed slot first runs its post-operation; the other does nothing: every owed
 * post-operation runs exactly once. A drained slot is the drainer's for good: its thread replaces it in
 * its frame instead of reusing it.
 */
public final class OperationSlot extends SlotFields {
    public static final int FREE = 0;
    public static final int PRE = 1;
    public static final int PARKED = 2;
    public static final int OWED = 3;
    public static final int RUNNING = 4;
    public static final int DRAINING = 5;
    public static final int DRAINED = 6;

    private static final long STATE = 7;
    private static final int SHIFT = 3;
    private static final VarHandle WORD;

    static {
        try {
            WORD = MethodHandles.lookup().findVarHandle(SlotFields.class, "word", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** 128 bytes after the fields (see {@link SlotFields}). */
    @SuppressWarnings("unused")
    private long q0, q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11, q12, q13, q14, q15;

    /** A slot at {@code level} of {@code frame} (jcstress states make their own, with no frame). */
    public OperationSlot(CallbackFrame frame, int level) {
        super(frame, level);
    }

    /** The frame (thread) this slot belongs to. */
    public CallbackFrame frame() {
        return frame;
    }

    /** Whose callback this is. */
    public CallbackOwner owner() {
        return owner;
    }

    /** The operation the slot is in. */
    public Object operation() {
        return operation;
    }

    public Object completionContext() {
        return completionContext;
    }

    /**
     * The owning thread enters {@code owner}'s pre-operation: a new generation in state PRE. A volatile
     * store, so that a teardown that began before the thread then reads the owner's closing flag sees
     * this slot (and otherwise the thread sees the flag).
     */
    public void enter(CallbackOwner owner, Object operation) {
        this.owner = owner;
        this.operation = operation;
        WORD.setVolatile(this, (((long) WORD.get(this) >>> SHIFT) + 1) << SHIFT | PRE);
    }

    /** The pre-operation pended: the thread waits, and is no running callback meanwhile. */
    public void park() {
        WORD.setRelease(this, ((long) WORD.get(this) & ~STATE) | PARKED);
    }

    /** The pended operation was resumed: back in the pre-operation, refused by no teardown (it must finish). */
    public void unpark() {
        WORD.setVolatile(this, ((long) WORD.get(this) & ~STATE) | PRE);
    }

    /**
     * The pre-operation asked for its post-operation (the owner's for the operation's major function): owed from now
     * on. {@code mustComplete}: the operation's parameters were replaced, so a teardown must let it complete rather
     * than drain it. A null context is not stored (the field is null since the slot was freed): a reference stored
     * into a slot, a long-lived object, marks a card of the collector's card table (see bench/notes.md,
     * "the collector's card table").
     */
    public void owe(Object completionContext, boolean mustComplete) {
        if (completionContext != null) {
            this.completionContext = completionContext;
        }
        this.since = CoarseClock.now();
        this.mustComplete = mustComplete;
        WORD.setRelease(this, ((long) WORD.get(this) & ~STATE) | OWED);
    }

    /** Left without owing anything (or the post-operation ran): free for the thread's next use. */
    public void free() {
        forget(FREE);
    }

    /** Drops what the finished operation referenced, so that an idle slot keeps nothing alive, and moves to {@code state}. */
    private void forget(int state) {
        owner = null; // a null stored marks no card
        operation = null;
        completionContext = null;
        WORD.setRelease(this, ((long) WORD.get(this) & ~STATE) | state);
    }

    /** The operation's own thread: moves OWED to RUNNING; false if a teardown claimed the slot first. */
    public boolean claim() {
        long w = (long) WORD.get(this);
        return (w & STATE) == OWED && WORD.compareAndSet(this, w, (w & ~STATE) | RUNNING);
    }

    /** A teardown: moves OWED to DRAINING if the slot is still in {@code generation}. */
    public boolean claim(long generation) {
        return WORD.compareAndSet(this, generation << SHIFT | OWED, generation << SHIFT | DRAINING);
    }

    /** The drainer called the post-operation: the slot stays out of use. */
    public void drained() {
        forget(DRAINED);
    }

    /** The word as other threads read it: {@link #state(long)} and {@link #generation(long)} of one moment. */
    public long word() {
        return (long) WORD.getVolatile(this);
    }

    public static int state(long word) {
        return (int) (word & STATE);
    }

    public static long generation(long word) {
        return word >>> SHIFT;
    }

    public int state() {
        return state(word());
    }

    public long generation() {
        return generation(word());
    }

    /**
     * The slot as another thread saw it at one moment: its state and generation ({@code word}) and the fields
     * that belong to them.
     */
    public record Seen(OperationSlot slot, long word, CallbackOwner owner, Object operation, long since,
                       boolean mustComplete) {
        public int state() {
            return OperationSlot.state(word);
        }

        public long generation() {
            return OperationSlot.generation(word);
        }
    }

    /**
     * Another thread's look at the slot, if it is in a state of {@code states} (a bit per state); otherwise
     * null. The owning thread may be reusing the slot meanwhile: the word read again after the fields tells
     * whether they belong together, and if not the look is repeated.
     */
    public Seen seen(int states) {
        long w = word();
        while (true) {
            if ((states & 1 << state(w)) == 0) {
                return null;
            }
            Seen seen = new Seen(this, w, owner, operation, since, mustComplete);
            VarHandle.acquireFence();
            long again = word();
            if (again == w) {
                return seen;
            }
            w = again;
        }
    }
}
