package dev.altitude.fuzz;

import dev.altitude.core.wire.PortWire;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;

/**
 * Jazzer target for the port wire decoder ({@link PortWire.Reader}): any bytes, read as a stream of frames
 * the way a connection reads them, a few bytes at a time. Allowed outcomes: frames, a clean end, or the decoder's own
 * {@link PortWire.WireException}. Anything else thrown is a finding; so is a decoded frame that does not
 * encode back to exactly the bytes it was read from, or a frame given out before all of its bytes were read.
 */
public final class PortWireFuzzer {
    private PortWireFuzzer() {
    }

    /** Jazzer's entry point. */
    public static void fuzzerTestOneInput(byte[] data) {
        Source in = new Source(data);
        PortWire.Reader reader = new PortWire.Reader();
        long start = 0;
        while (true) {
            PortWire.Frame frame;
            try {
                while ((frame = reader.next()) == null) {
                    if (reader.fill(in) == 0) {
                        throw new AssertionError("the reader asked for bytes with no room for them");
                    }
                }
            } catch (PortWire.WireException e) {
                return; // the decoder's own error: that connection would be closed
            } catch (EOFException e) {
                if (in.position() != data.length || reader.consumed() != data.length) {
                    throw new AssertionError("end of stream reported before the end of the input");
                }
                return;
            } catch (IOException e) {
                throw new AssertionError("an I/O error other than the decoder's", e);
            }
            long end = reader.consumed();
            if (end > in.position()) {
                throw new AssertionError("a frame of more bytes than were read");
            }
            byte[] consumed = Arrays.copyOfRange(data, (int) start, (int) end);
            ByteBuffer encoded = PortWire.encode(frame);
            byte[] again = new byte[encoded.remaining()];
            encoded.get(again);
            if (!Arrays.equals(consumed, again)) {
                throw new AssertionError("frame " + frame + " does not encode back to the bytes it was read from");
            }
            start = end;
        }
    }

    /** The input as a channel that hands out at most a few bytes per read, like a socket might. */
    private static final class Source implements ReadableByteChannel {
        private final ByteBuffer data;

        Source(byte[] bytes) {
            this.data = ByteBuffer.wrap(bytes);
        }

        int position() {
            return data.position();
        }

        @Override
        public int read(ByteBuffer dst) {
            if (!data.hasRemaining()) {
                return -1;
            }
            int n = Math.min(Math.min(dst.remaining(), data.remaining()), 1 + (data.position() % 7) * 1024);
            ByteBuffer slice = data.slice(data.position(), n);
            dst.put(slice);
            data.position(data.position() + n);
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}
