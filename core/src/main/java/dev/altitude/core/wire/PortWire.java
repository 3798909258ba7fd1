package dev.altitude.core.wire;

import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The wire format of communication ports across processes (Unix domain sockets), version 1. All of it is
 * here.
 *
 * <pre>
 * frame        := length:u32 body            length = size of body, 1 .. MAX_FRAME
 * body         := type:u8 payload            big-endian integers; strings UTF-8
 *
 * type payload                                                       direction
 *  1   HELLO        magic:u32 "ALTP" version:u8 name:str16 context:bytes32   client → server, first frame
 *  2   HELLO_RESULT status:i32                                              server → client, then connected
 *                                                                          or closed
 *  3   GET          (empty)          one credit: the client has a getter waiting  client → server
 *  4   MESSAGE      id:u64 replyCapacity:i32 data:bytes32  a filter's message     server → client
 *  5   REPLY        id:u64 data:bytes32                     reply to MESSAGE id    client → server
 *  6   REPLY_RESULT id:u64 status:i32                       SUCCESS or NO_WAITER   server → client
 *  7   SEND         id:u64 outputCapacity:i32 data:bytes32  to the message callback client → server
 *  8   SEND_RESULT  id:u64 status:i32 data:bytes32          the callback's output  server → client
 *  9   FILE_CHANNEL nonce:16 bytes     a port that lends files: connect its   server → client, before
 *                                      descriptor socket and send this nonce   HELLO_RESULT
 * 10   FILE_MESSAGE id:u64 replyCapacity:i32 data:bytes32  a MESSAGE with a file  server → client
 *                                      lent: its descriptor came first on the descriptor socket, in a record
 *                                      holding id:u64
 * 11   FILE_CLOSED  id:u64              the client closed message id's file     client → server
 *
 * str16   := length:u16 (≤ MAX_NAME) UTF-8 bytes
 * bytes32 := length:u32 (≤ MAX_MESSAGE, or MAX_CONTEXT for the context) bytes
 * </pre>
 *
 * A connection ends when either side closes the socket; there is no goodbye frame. A frame that breaks
 * any rule (unknown type, length out of bounds, trailing bytes, bad magic or version, capacity below
 * zero, malformed UTF-8) is a {@link WireException}: the receiver closes that one connection and logs
 * why. The decoder's buffer grows with the bytes that actually arrive (doubling, up to the frame's
 * announced length), never to a length a peer merely announces; a frame is at most {@link #MAX_FRAME}, and
 * a server takes at most {@link #MAX_HELLO} before a client's hello is accepted.
 */
public final class PortWire {
    public static final int MAGIC = 0x414C5450; // "ALTP"
    public static final int VERSION = 1;
    /** Largest message, reply or callback output. */
    public static final int MAX_MESSAGE = 1 << 20;
    /** Largest connection context. */
    public static final int MAX_CONTEXT = 64 * 1024;
    /** Longest port name, in UTF-8 bytes. */
    public static final int MAX_NAME = 255;
    /** Largest frame body: a message plus its header. */
    public static final int MAX_FRAME = MAX_MESSAGE + 32;
    /** Largest hello body: type, magic, version, the longest name and the largest context with their lengths. */
    public static final int MAX_HELLO = 1 + 4 + 1 + 2 + MAX_NAME + 4 + MAX_CONTEXT;

    private PortWire() {
    }

    /** A frame that breaks the format. */
    public static final class WireException extends IOException {
        public WireException(String message) {
            super(message);
        }
    }

    /** The frames, one record each. */
    public sealed interface Frame {
    }

    public record Hello(int version, String portName, byte[] context) implements Frame {
    }

    public record HelloResult(int status) implements Frame {
    }

    public record Get() implements Frame {
    }

    public record Message(long id, int replyCapacity, byte[] data) implements Frame {
    }

    public record Reply(long id, byte[] data) implements Frame {
    }

    public record ReplyResult(long id, int status) implements Frame {
    }

    public record Send(long id, int outputCapacity, byte[] data) implements Frame {
    }

    public record SendResult(long id, int status, byte[] data) implements Frame {
    }

    /** The descriptor socket's nonce: exactly {@link #NONCE} bytes. */
    public record FileChannel(byte[] nonce) implements Frame {
        public FileChannel {
            if (nonce.length != NONCE) {
                throw new NtStatusException(NtStatus.INVALID_PARAMETER,
                        "nonce of " + nonce.length + " bytes, not " + NONCE);
            }
        }
    }

    public record FileMessage(long id, int replyCapacity, byte[] data) implements Frame {
    }

    public record FileClosed(long id) implements Frame {
    }

    /** The length of a descriptor socket's nonce. */
    public static final int NONCE = 16;

    // ---- encoding --------------------------------------------------------------------------------

    /** The whole frame, length prefix included, ready to write. */
    public static ByteBuffer encode(Frame frame) {
        ByteBuffer b = switch (frame) {
            case Hello h -> {
                byte[] name = h.portName().getBytes(StandardCharsets.UTF_8);
                checkLength(name.length, MAX_NAME, "port name");
                checkLength(h.context().length, MAX_CONTEXT, "context");
                yield body(1, 4 + 1 + 2 + name.length + 4 + h.context().length)
                        .putInt(MAGIC).put((byte) h.version()).putShort((short) name.length).put(name)
                        .putInt(h.context().length).put(h.context());
            }
            case HelloResult r -> body(2, 4).putInt(r.status());
            case Get g -> body(3, 0);
            case Message m -> withData(body(4, 12 + 4 + length(m.data())).putLong(m.id()).putInt(m.replyCapacity()), m.data());
            case Reply r -> withData(body(5, 8 + 4 + length(r.data())).putLong(r.id()), r.data());
            case ReplyResult r -> body(6, 12).putLong(r.id()).putInt(r.status());
            case Send s -> withData(body(7, 12 + 4 + length(s.data())).putLong(s.id()).putInt(s.outputCapacity()), s.data());
            case SendResult s -> withData(body(8, 12 + 4 + length(s.data())).putLong(s.id()).putInt(s.status()), s.data());
            case FileChannel c -> {
                yield body(9, NONCE).put(c.nonce());
            }
            case FileMessage m -> withData(body(10, 12 + 4 + length(m.data())).putLong(m.id()).putInt(m.replyCapacity()), m.data());
            case FileClosed c -> body(11, 8).putLong(c.id());
        };
        return b.flip();
    }

    private static int length(byte[] data) {
        checkLength(data.length, MAX_MESSAGE, "message");
        return data.length;
    }

    private static void checkLength(int length, int max, String what) {
        if (length > max) {
            throw new NtStatusException(NtStatus.INVALID_PARAMETER, what + " of " + length + " bytes exceeds " + max);
        }
    }

    private static ByteBuffer body(int type, int payload) {
        return ByteBuffer.allocate(4 + 1 + payload).putInt(1 + payload).put((byte) type);
    }

    private static ByteBuffer withData(ByteBuffer b, byte[] data) {
        return b.putInt(data.length).put(data);
    }

    public static void write(WritableByteChannel channel, Frame frame) throws IOException {
        ByteBuffer b = encode(frame);
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    // ---- decoding --------------------------------------------------------------------------------

    /**
     * Frames out of a byte stream as its bytes come: {@link #fill} takes what the channel has (a
     * non-blocking socket may have nothing), {@link #next} gives each whole frame. Bytes of a frame not yet
     * whole stay here, so whoever reads next carries on where the last reader stopped. Its buffer grows only
     * when it is full of a frame not yet whole, to twice its size or the frame's length if less: it holds at
     * most about twice what came, and never more than the largest frame it takes ({@link #limit}).
     */
    public static final class Reader {
        public static final int INITIAL = 16 * 1024;
        private ByteBuffer in = ByteBuffer.allocate(INITIAL); // [0, position) buffered
        private long consumed;
        private int maxFrame = MAX_FRAME;

        /** The largest frame body taken from now on (a server's is {@link #MAX_HELLO} until the hello). */
        public void limit(int maxFrame) {
            this.maxFrame = maxFrame;
        }

        /** The buffer's size now (tests). */
        public int capacity() {
            return in.capacity();
        }

        /**
         * One read of the channel: how many bytes came (0 if none were there). {@link EOFException} at a
         * clean end between frames, {@link WireException} at an end inside a frame.
         */
        public int fill(ReadableByteChannel channel) throws IOException {
            int n = channel.read(in);
            if (n < 0) {
                if (in.position() == 0) {
                    throw new EOFException("connection closed");
                }
                throw new WireException("connection closed inside a frame");
            }
            return n;
        }

        /** The next whole frame, or null until more bytes come; {@link WireException} for a broken one. */
        public Frame next() throws WireException {
            int have = in.position();
            if (have < 4) {
                return null;
            }
            int length = in.getInt(0);
            if (length < 1 || length > maxFrame) {
                throw new WireException("frame length " + Integer.toUnsignedString(length) + " outside 1.." + maxFrame);
            }
            if (have < 4 + length) {
                if (!in.hasRemaining()) { // full of a frame not yet whole: room for more of what comes
                    in = ByteBuffer.allocate((int) Math.min(4L + length, 2L * in.capacity())).put(in.flip());
                }
                return null;
            }
            Frame f = decode(in.slice(4, length));
            in.flip().position(4 + length);
            if (in.capacity() > INITIAL && in.remaining() <= INITIAL) {
                in = ByteBuffer.allocate(INITIAL).put(in); // a large frame is gone: give its room back
            } else {
                in.compact();
            }
            consumed += 4 + length;
            return f;
        }

        /** True if the last fill left no room: the channel may have more at once. */
        public boolean full() {
            return !in.hasRemaining();
        }

        /** Bytes of whole frames given out so far. */
        public long consumed() {
            return consumed;
        }
    }

    /** Decodes one frame body (type and payload, without the length prefix). */
    public static Frame decode(ByteBuffer b) throws WireException {
        if (!b.hasRemaining()) {
            throw new WireException("empty frame");
        }
        int type = b.get() & 0xFF;
        Frame f = switch (type) {
            case 1 -> {
                int magic = getInt(b);
                if (magic != MAGIC) {
                    throw new WireException("bad magic 0x" + Integer.toHexString(magic));
                }
                int version = getByte(b);
                if (version != VERSION) {
                    throw new WireException("unsupported version " + version);
                }
                int nameLength = getShort(b);
                if (nameLength > MAX_NAME) {
                    throw new WireException("port name of " + nameLength + " bytes");
                }
                String name = utf8(getBytes(b, nameLength));
                yield new Hello(version, name, getBytes(b, getLength(b, MAX_CONTEXT)));
            }
            case 2 -> new HelloResult(getInt(b));
            case 3 -> new Get();
            case 4 -> new Message(getLong(b), getCapacity(b), getBytes(b, getLength(b, MAX_MESSAGE)));
            case 5 -> new Reply(getLong(b), getBytes(b, getLength(b, MAX_MESSAGE)));
            case 6 -> new ReplyResult(getLong(b), getInt(b));
            case 7 -> new Send(getLong(b), getCapacity(b), getBytes(b, getLength(b, MAX_MESSAGE)));
            case 8 -> new SendResult(getLong(b), getInt(b), getBytes(b, getLength(b, MAX_MESSAGE)));
            case 9 -> new FileChannel(getBytes(b, NONCE));
            case 10 -> new FileMessage(getLong(b), getCapacity(b), getBytes(b, getLength(b, MAX_MESSAGE)));
            case 11 -> new FileClosed(getLong(b));
            default -> throw new WireException("unknown frame type " + type);
        };
        if (b.hasRemaining()) {
            throw new WireException(b.remaining() + " trailing byte(s) after frame type " + type);
        }
        return f;
    }

    private static void need(ByteBuffer b, int n) throws WireException {
        if (b.remaining() < n) {
            throw new WireException("frame cut short: " + n + " byte(s) needed, " + b.remaining() + " left");
        }
    }

    private static int getByte(ByteBuffer b) throws WireException {
        need(b, 1);
        return b.get() & 0xFF;
    }

    private static int getShort(ByteBuffer b) throws WireException {
        need(b, 2);
        return b.getShort() & 0xFFFF;
    }

    private static int getInt(ByteBuffer b) throws WireException {
        need(b, 4);
        return b.getInt();
    }

    private static long getLong(ByteBuffer b) throws WireException {
        need(b, 8);
        return b.getLong();
    }

    private static int getCapacity(ByteBuffer b) throws WireException {
        int c = getInt(b);
        if (c < 0 || c > MAX_MESSAGE) {
            throw new WireException("capacity " + c + " outside 0.." + MAX_MESSAGE);
        }
        return c;
    }

    private static int getLength(ByteBuffer b, int max) throws WireException {
        int n = getInt(b);
        if (n < 0 || n > max) {
            throw new WireException("length " + Integer.toUnsignedString(n) + " outside 0.." + max);
        }
        return n;
    }

    private static byte[] getBytes(ByteBuffer b, int n) throws WireException {
        need(b, n);
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    private static String utf8(byte[] bytes) throws WireException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new WireException("port name is not UTF-8");
        }
    }
}
