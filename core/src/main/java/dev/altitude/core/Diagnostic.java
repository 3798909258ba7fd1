package dev.altitude.core;

import java.time.Instant;

/**
 * Something the filter manager noticed and reported: a misuse by a filter (unload callback that refused
 * after unregistering, a callback that threw, a self-unload), or a decision it took on a filter's behalf.
 */
public record Diagnostic(Instant time, Kind kind, String filter, String message) {

    /**
     * What kind of report it is, so programs and tests can tell them apart; {@link #isMisuse()} says which
     * are a filter breaking a rule of the contract (the manager kept its guarantees anyway).
     */
    public enum Kind {
        /** A filter callback (or driver entry) threw; the operation completed with an error status. */
        CALLBACK_EXCEPTION(true),
        /** A context reference still held when its object or the filter went away (the verifier). */
        LEAKED_REFERENCE(true),
        /** A reference released more often than taken: a context released twice, a count below zero. */
        OVER_RELEASE(true),
        /** Something used after it was freed: a freed context referenced, a freed global read. */
        USE_AFTER_FREE(true),
        /** Something freed too early: a global before unregister returned, a context still linked. */
        EARLY_FREE(true),
        /** A callback returned a status its contract does not allow; the manager used the documented one. */
        INVALID_STATUS(true),
        /** A call after the filter's unregister returned; refused. */
        CALL_AFTER_UNREGISTER(true),
        /** An unload, unregister or detach asked for from the filter's own callback; refused (it would wait for itself). */
        SELF_DEADLOCK(true),
        /** {@code unregister} called a second time; ignored. */
        REPEATED_UNREGISTER(true),
        /** A server port still open at unregister; unregister waits for it. */
        OPEN_PORT_AT_UNREGISTER(true),
        /** A driver entry that registered no filter of its own name, or more than one. */
        BAD_REGISTRATION(true),
        /** A driver entry failed with its own status; the load returns it. */
        LOAD_FAILED(false),
        /** The manager unregistered a filter itself (mandatory unload without unregister, a failed driver entry). */
        FORCED_UNREGISTER(false),
        /** Another decision the manager took on a filter's behalf (a socket that would not close). */
        FORCED(false),
        /** An unload has waited past the warning threshold; the message is the "why won't it unload?" report. */
        WAITING(false),
        /** A port connection from another process was closed: it broke the wire format or the protocol, or a bound. */
        PORT(false),
        /**
         * An instance that filters reads or writes attached while files on its volume were open in a way their data
         * does not reach it (kernel passthrough, the page cache) until they close; the message names them.
         */
        DATA_BYPASS(false),
        /**
         * An instance attached to a volume that cannot present some of the pre-operations its filter registered
         * ({@link VolumeCapabilities}); the message names them.
         */
        PRE_OPERATIONS_NOT_DELIVERED(false),
        /** The manager itself broke a promise (a callback after unregister would have run); it was not called. */
        INTERNAL_ERROR(false);

        private final boolean misuse;

        Kind(boolean misuse) {
            this.misuse = misuse;
        }

        /** Is this a filter breaking a rule of the contract? */
        public boolean isMisuse() {
            return misuse;
        }
    }

    @Override
    public String toString() {
        return time + " " + kind + " [" + filter + "] " + message;
    }
}
