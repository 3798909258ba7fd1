package dev.altitude.samples.avscan;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * What avscan and its client exchange (the original's {@code avlib.h} messages). A scan request carries no file
 * content, only its reason, its id and the file's name; the file itself comes as the message's lent descriptor. The
 * reply is one byte. An abort names a scan the filter stopped waiting for.
 *
 * <pre>
 * SCAN  := type:u8 = 1, reason:u8, scanId:u64, name:UTF-8      (reply: CLEAN or INFECTED)
 * ABORT := type:u8 = 2, scanId:u64                              (no reply)
 * </pre>
 */
public final class AvScanMessages {
    public static final String PORT = "AvScanPort";
    public static final byte SCAN = 1;
    public static final byte ABORT = 2;
    public static final byte ON_OPEN = 0;
    public static final byte ON_CLOSE = 1;
    public static final byte CLEAN = 0;
    public static final byte INFECTED = 1;

    private AvScanMessages() {
    }

    static byte[] scan(long id, byte reason, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(10 + n.length).put(SCAN).put(reason).putLong(id).put(n).array();
    }

    static byte[] abort(long id) {
        return ByteBuffer.allocate(9).put(ABORT).putLong(id).array();
    }

    /** A request as the client reads it; {@code name} is empty for an abort. */
    public record Request(byte type, byte reason, long scanId, String name) {
        public static Request parse(byte[] m) {
            ByteBuffer b = ByteBuffer.wrap(m);
            if (m.length >= 10 && m[0] == SCAN) {
                b.get();
                byte reason = b.get();
                long id = b.getLong();
                return new Request(SCAN, reason, id, StandardCharsets.UTF_8.decode(b).toString());
            }
            if (m.length == 9 && m[0] == ABORT) {
                b.get();
                return new Request(ABORT, (byte) 0, b.getLong(), "");
            }
            throw new IllegalArgumentException("not an avscan message (" + m.length + " bytes)");
        }

        public String reasonName() {
            return reason == ON_CLOSE ? "close" : "open";
        }
    }

    /**
     * The EICAR anti-virus test file's 68 characters, the foul content of the tests (put together here, so this
     * source file is not itself reported by a scanner on the developer's machine).
     */
    public static byte[] eicar() {
        String first = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$";
        String second = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
        return (first + second).getBytes(StandardCharsets.US_ASCII);
    }
}
