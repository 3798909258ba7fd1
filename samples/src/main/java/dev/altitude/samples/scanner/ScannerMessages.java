package dev.altitude.samples.scanner;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What the scanner filter and its client exchange (the original's {@code scanuk.h}). A notification is one
 * byte of reason followed by at most {@link #SCAN_BYTES} bytes of the file; the reply is one byte,
 * {@code 1} for safe to open, {@code 0} for foul.
 */
public final class ScannerMessages {
    public static final String PORT = "ScannerPort";
    public static final int SCAN_BYTES = 1024;
    public static final byte ON_OPEN = 0;
    public static final byte ON_WRITE = 1;
    public static final byte ON_CLEANUP = 2;
    public static final byte SAFE = 1;
    public static final byte FOUL = 0;
    /** What the client looks for. */
    public static final byte[] PATTERN = "foul".getBytes(StandardCharsets.US_ASCII);

    private ScannerMessages() {
    }

    static byte[] notification(byte reason, byte[] contents, int length) {
        byte[] m = new byte[1 + Math.min(length, SCAN_BYTES)];
        m[0] = reason;
        System.arraycopy(contents, 0, m, 1, m.length - 1);
        return m;
    }

    public static byte reason(byte[] notification) {
        return notification[0];
    }

    public static String reasonName(byte reason) {
        return switch (reason) {
            case ON_OPEN -> "open";
            case ON_WRITE -> "write";
            case ON_CLEANUP -> "close-after-write";
            default -> "reason " + reason;
        };
    }

    /** Does the scanned content hold the pattern? */
    public static boolean isFoul(byte[] notification) {
        byte[] content = Arrays.copyOfRange(notification, 1, notification.length);
        outer:
        for (int i = 0; i + PATTERN.length <= content.length; i++) {
            for (int j = 0; j < PATTERN.length; j++) {
                if (content[i + j] != PATTERN[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
