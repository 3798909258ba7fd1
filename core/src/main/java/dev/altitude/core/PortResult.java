package dev.altitude.core;

/**
 * What a message exchange through a communication port gives: its status and the bytes that came back
 * (a reply, or a message callback's output; empty when there are none). {@link NtStatus#BUFFER_OVERFLOW}
 * means the bytes were more than the capacity given and were cut to it.
 */
public record PortResult(NtStatus status, byte[] data) {
    static final byte[] NONE = new byte[0];

    static PortResult of(NtStatus status) {
        return new PortResult(status, NONE);
    }

    /** The bytes, cut to {@code capacity} with {@link NtStatus#BUFFER_OVERFLOW} if they are more. */
    static PortResult fitted(byte[] data, int capacity) {
        byte[] d = data == null ? NONE : data;
        if (d.length > capacity) {
            return new PortResult(NtStatus.BUFFER_OVERFLOW, java.util.Arrays.copyOf(d, capacity));
        }
        return new PortResult(NtStatus.SUCCESS, d);
    }
}
