package dev.altitude.core;

import java.time.Instant;

/**
 * Something the filter manager noticed and reported: a misuse by a filter (unload callback that refused
 * after unregistering, a callback that threw, a self-unload), or a decision it took on a filter's behalf.
 */
public record Diagnostic(Instant time, Kind kind, String filter, String message) {

    /** What kind of report it is. */
    public enum Kind {
        /** A filter callback threw; the operation completed with an error status. */
        CALLBACK_EXCEPTION,
        /** A filter broke a rule of the contract; the manager kept its guarantees anyway. */
        MISUSE,
        /** The manager did something on a filter's behalf (forced unregister, unload without a callback). */
        FORCED,
        /** An unload has waited past the warning threshold; the message is the "why won't it unload?" report. */
        WAITING,
        /** A port connection from another process was closed for breaking the wire format or the protocol. */
        PORT
    }

    @Override
    public String toString() {
        return time + " " + kind + " [" + filter + "] " + message;
    }
}
