package dev.altitude.samples.minispy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What minispy and its client exchange over {@value #PORT} (the original's {@code minispy.h}). A command is
 * one byte, then its argument: {@link #GET_LOG} (an int, the most bytes the answer may take),
 * {@link #GET_VERSION}, {@link #ATTACH} / {@link #DETACH} (a volume name, then an optional instance name),
 * {@link #LIST}. Log records are written one after the other, each as in {@link Record}.
 */
public final class MiniSpyMessages {
    public static final String PORT = "MiniSpyPort";
    public static final byte GET_LOG = 1;
    public static final byte GET_VERSION = 2;
    public static final byte ATTACH = 3;
    public static final byte DETACH = 4;
    public static final byte LIST = 5;
    public static final String VERSION = "minispy 1.0";

    /** A record is a normal operation, or the marker that records were lost because the buffer was full. */
    public static final byte NORMAL = 0;
    public static final byte OVERFLOW = 1;

    private MiniSpyMessages() {
    }

    /**
     * One logged operation: when it started and completed (epoch microseconds), who asked (pid, -1 when
     * unknown), its major function, volume and file, and its final status. An {@link #OVERFLOW} record's
     * {@code sequence} is the number of records lost.
     */
    public record Record(byte type, long sequence, long startMicros, long endMicros, long pid, String major,
                         String volume, String path, int status, String statusName) {
        void write(DataOutputStream out) throws IOException {
            out.writeByte(type);
            out.writeLong(sequence);
            out.writeLong(startMicros);
            out.writeLong(endMicros);
            out.writeLong(pid);
            out.writeUTF(major);
            out.writeUTF(volume);
            out.writeUTF(path);
            out.writeInt(status);
            out.writeUTF(statusName);
        }

        static Record read(DataInputStream in) throws IOException {
            return new Record(in.readByte(), in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readUTF(),
                    in.readUTF(), in.readUTF(), in.readInt(), in.readUTF());
        }

        byte[] bytes() {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(b)) {
                write(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return b.toByteArray();
        }

        public boolean isOverflow() {
            return type == OVERFLOW;
        }

        /** One JSON object on one line. */
        public String toJson() {
            if (isOverflow()) {
                return "{\"overflow\":true,\"lost\":" + sequence + "}";
            }
            return "{\"seq\":" + sequence + ",\"start\":" + startMicros + ",\"end\":" + endMicros + ",\"pid\":" + pid
                    + ",\"major\":\"" + major + "\",\"volume\":" + quote(volume) + ",\"path\":" + quote(path)
                    + ",\"status\":\"" + statusName + "\"}";
        }

        /** One row of the table. */
        public String toRow() {
            if (isOverflow()) {
                return String.format("%8s  *** %d records lost: the log buffer was full ***", "-", sequence);
            }
            return String.format("%8d  %-26s %-8s %-7s %-34s %s", sequence, major, volume,
                    pid < 0 ? "-" : Long.toString(pid), statusName, path);
        }

        public static String header() {
            return String.format("%8s  %-26s %-8s %-7s %-34s %s", "seq", "operation", "volume", "pid", "status", "file");
        }
    }

    /** {@code s} as a JSON string. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    public static byte[] getLog(int capacity) {
        return new byte[] {GET_LOG, (byte) (capacity >>> 24), (byte) (capacity >>> 16), (byte) (capacity >>> 8), (byte) capacity};
    }

    public static byte[] command(byte command, String... args) {
        StringBuilder b = new StringBuilder();
        for (String a : args) {
            if (a != null) {
                b.append(a).append('\n');
            }
        }
        byte[] text = b.toString().getBytes(StandardCharsets.UTF_8);
        byte[] m = new byte[1 + text.length];
        m[0] = command;
        System.arraycopy(text, 0, m, 1, text.length);
        return m;
    }

    static List<String> arguments(byte[] message) {
        String text = new String(message, 1, message.length - 1, StandardCharsets.UTF_8);
        return text.isEmpty() ? List.of() : List.of(text.split("\n"));
    }

    /** The records of a {@link #GET_LOG} answer. */
    public static List<Record> records(byte[] answer) {
        List<Record> all = new ArrayList<>();
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(answer))) {
            while (in.available() > 0) {
                all.add(Record.read(in));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("a malformed minispy log answer", e);
        }
        return all;
    }
}
