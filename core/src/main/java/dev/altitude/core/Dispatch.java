package dev.altitude.core;

import dev.altitude.core.frame.CallbackFrame;
import dev.altitude.core.frame.OperationSlot;

/**
 * One operation through a volume's stack, in named steps: for each instance that has callbacks for the major
 * function, {@link #enter} it (a slot in the thread's {@link CallbackFrame}, unless its teardown began), call or
 * {@link #pend} its pre-operation, {@link #owePost owe} its post-operation; then the backend; then
 * {@link #unwind}: the owed post-operations from the lowest altitude up. Nothing here takes a lock or writes
 * anything shared but the thread's own slots; {@link Volume} keeps the stack, its members and the streams.
 */
final class Dispatch {
    private Dispatch() {
    }

    /** Whether a row with the {@link OperationFlag} bits {@code skips} does not want this read or write. */
    static boolean skipped(byte skips, CallbackData data) {
        IoParameters.IoPath path = switch (data.parameters()) {
            case IoParameters.Read r -> r.path();
            case IoParameters.Write w -> w.path();
            default -> null;
        };
        return path == IoParameters.IoPath.CACHED && (skips & OperationFlag.SKIP_CACHED_IO.value()) != 0
                || path == IoParameters.IoPath.PAGING && (skips & OperationFlag.SKIP_PAGING_IO.value()) != 0;
    }

    /**
     * Runs {@code data} from {@code st[from]} down and through the backend; or, {@code postOnly}, an operation the
     * file system already carried out: no pre-operation and no backend, each post-operation owed as if its
     * pre-operation had asked for it ({@link Volume#completed}).
     */
    static void run(Volume volume, CallbackData data, Instance[] st, int from, boolean postOnly) {
        int major = data.majorFunction().ordinal();
        CallbackFrame frame = null;
        int base = 0; // this operation's levels in the thread's stack: base up to the frame's top
        boolean completed = false;
        boolean ended = false;
        try {
            for (int i = from; i < st.length; i++) {
                Instance inst = st[i];
                Callbacks.PreOperation pre = postOnly ? null : inst.pre[major];
                Callbacks.PostOperation post = inst.post[major];
                if (pre == null && post == null || inst.skips[major] != 0 && skipped(inst.skips[major], data)) {
                    continue;
                }
                if (frame == null) {
                    frame = CallbackFrame.current();
                    frame.join(volume.manager().frames); // before its first slot: the manager's teardowns look there
                    base = frame.top();
                }
                OperationSlot slot = enter(frame, inst, data);
                if (slot == null) {
                    continue;
                }
                PreOpStatus ps = preOperation(frame, slot, inst, pre, post, data);
                if (ps == PreOpStatus.COMPLETE
                        || (ps == PreOpStatus.DISALLOW_FSFILTER_IO || ps == PreOpStatus.DISALLOW_FASTIO) && disallowed(data)) {
                    completed = true;
                    break;
                }
            }
            if (!completed && !postOnly) {
                volume.callBackend(data);
            }
            if (frame != null) {
                unwind(frame, base, data, false);
            }
            ended = true;
        } finally {
            if (frame != null) {
                if (!ended) {
                    // an Error no callback or backend caught (running out of memory, say) ends the operation:
                    // each post-operation it still owes is called once, draining, as a teardown would
                    unwind(frame, base, data, true);
                }
                frame.cut(base);
            }
        }
    }

    /**
     * A pre-operation returned DISALLOW_FASTIO or DISALLOW_FSFILTER_IO. On a query by name ({@code QUERY_OPEN}) the
     * operation stops there, as a completed one does (no instance below and no backend see it, the post-operations of
     * those above run), with {@link NtStatus#FLT_DISALLOW_FAST_IO}: the front end then opens, queries and closes. On
     * any other operation the status means no more than SUCCESS_NO_CALLBACK.
     */
    private static boolean disallowed(CallbackData data) {
        if (data.majorFunction() != MajorFunction.QUERY_OPEN) {
            return false;
        }
        data.complete(NtStatus.FLT_DISALLOW_FAST_IO, 0);
        return true;
    }

    /**
     * Enters an instance: a slot in the thread's frame, where the instance's teardown finds the operation; null
     * (and no slot) when that teardown has begun, so no pre-operation starts.
     */
    private static OperationSlot enter(CallbackFrame frame, Instance inst, CallbackData data) {
        OperationSlot slot = frame.push(inst, data);
        if (inst.rundown.closing) {
            frame.pop(slot);
            inst.rundown.left();
            return null;
        }
        return slot;
    }

    /**
     * Calls the instance's pre-operation (or, with only a post-operation, asks for it), waits out a pended one,
     * and owes the post-operation it asks for; leaves the instance's slot unless a post-operation is owed.
     */
    private static PreOpStatus preOperation(CallbackFrame frame, OperationSlot slot, Instance inst,
                                            Callbacks.PreOperation pre, Callbacks.PostOperation post, CallbackData data) {
        PreOpStatus ps = PreOpStatus.SUCCESS_NO_CALLBACK;
        Holder pended = null;
        boolean owes = false;
        try {
            Object completionContext;
            if (pre == null) {
                ps = PreOpStatus.SUCCESS_WITH_CALLBACK;
                completionContext = null;
            } else {
                ps = inst.callPre(pre, data);
                completionContext = data.takeCompletionContext();
                if (ps == PreOpStatus.PENDING) {
                    pended = inst.pendedPre(data);
                    ps = pend(slot, inst, data);
                    completionContext = data.takeResumeContext();
                }
            }
            owes = owePost(slot, inst, post, ps, completionContext, data);
        } finally {
            if (!owes) {
                frame.pop(slot);
            }
            inst.rundown.left();
            if (pended != null) {
                inst.pended.remove(pended); // after the slot is owed: a teardown then drains it
            }
        }
        return ps;
    }

    /** A pended pre-operation: parked (not a running callback) until the filter resumes it; the status it resumed with. */
    private static PreOpStatus pend(OperationSlot slot, Instance inst, CallbackData data) {
        slot.park();
        inst.rundown.left();
        try {
            return data.awaitResume();
        } finally {
            slot.unpark();
        }
    }

    /** Owes the post-operation a pre-operation's status asks for; whether one is owed now. */
    private static boolean owePost(OperationSlot slot, Instance inst, Callbacks.PostOperation post, PreOpStatus ps,
                                   Object completionContext, CallbackData data) {
        if (ps != PreOpStatus.SUCCESS_WITH_CALLBACK && ps != PreOpStatus.SYNCHRONIZE) {
            return false;
        }
        if (post == null) {
            inst.filter().misuse(Diagnostic.Kind.INVALID_STATUS, "pre-operation " + data.majorFunction() + " of instance '"
                    + inst.name() + "' returned " + ps
                    + " but no post-operation is registered for it (Windows: bugcheck 0xF5/0x66); ignored");
            return false;
        }
        if (inst.probe != null) { // before the slot is owed: a teardown may drain it at once
            inst.probe.postOwed(inst.filter(), new dev.altitude.core.probe.Probe.Operation(slot, slot.generation()));
        }
        slot.owe(completionContext, data.isDirty());
        return true;
    }

    /**
     * The operation's way up: each post-operation it owes, from the lowest altitude up, that its thread claims
     * (a slot a teardown claimed first is the drainer's now, and leaves the thread's stack).
     */
    private static void unwind(CallbackFrame frame, int base, CallbackData data, boolean draining) {
        for (int level = frame.top() - 1; level >= base; level--) {
            OperationSlot slot = frame.slot(level);
            if (slot.claim()) {
                Instance inst = (Instance) slot.owner();
                try {
                    inst.callPost(slot, data, frame, draining);
                } finally {
                    slot.free();
                    inst.rundown.left();
                }
            } else if (slot.state() >= OperationSlot.DRAINING) {
                frame.replace(level);
            }
        }
    }
}
