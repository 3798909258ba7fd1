package dev.altitude.core;

/**
 * A failure status where an API returns an object instead of a status: the message names the status
 * and what was attempted.
 */
public final class NtStatusException extends RuntimeException {
    private final NtStatus status;

    public NtStatusException(NtStatus status, String message) {
        super(status + ": " + message);
        this.status = status;
    }

    public NtStatus status() {
        return status;
    }
}
