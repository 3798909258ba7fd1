package dev.altitude.core;

/**
 * A failure status where an API returns an object instead of a status: the message names the status
 * and what was attempted.
 */
public final class NtStatusException extends RuntimeException {
    private final NtStatus status;
    private final String detail;

    public NtStatusException(NtStatus status, String message) {
        super(status + ": " + message);
        this.status = status;
        this.detail = message;
    }

    public NtStatus status() {
        return status;
    }

    /** What was attempted, without the status. */
    public String detail() {
        return detail;
    }
}
