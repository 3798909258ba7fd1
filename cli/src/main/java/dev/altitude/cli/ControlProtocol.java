package dev.altitude.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The daemon's control socket, version 1: a text protocol, one request per connection. The client writes
 * {@code altitude-control/1}, then {@code json} or {@code text}, then one argument per line, then an empty
 * line. The daemon answers with lines {@code o <text>} (standard output), {@code e <text>} (standard error)
 * and ends with {@code x <exit code>}. Lines go out as they are made (an unload that waits says so every second,
 * a trace streams until the client closes), and the client prints each as it comes.
 */
final class ControlProtocol {
    static final String HELLO = "altitude-control/1";
    static final String SOCKET = "control.sock";

    private ControlProtocol() {
    }

    record Request(boolean json, List<String> args) {
    }

    /** One answer line: which stream, what text. */
    record Line(boolean error, String text) {
    }

    record Response(int exit, List<Line> lines) {
        static Response of(int exit, List<Line> lines) {
            return new Response(exit, List.copyOf(lines));
        }
    }

    static void writeRequest(SocketChannel ch, Request r) throws IOException {
        StringBuilder b = new StringBuilder(HELLO).append('\n').append(r.json() ? "json" : "text").append('\n');
        for (String a : r.args()) {
            if (a.indexOf('\n') >= 0 || a.isEmpty()) {
                throw new IllegalArgumentException("an argument may be neither empty nor contain a line break");
            }
            b.append(a).append('\n');
        }
        b.append('\n');
        OutputStream out = Channels.newOutputStream(ch);
        out.write(b.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** The user on the other end of a control connection ({@code SO_PEERCRED}). */
    static String peer(SocketChannel ch) throws IOException {
        return ch.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user().getName();
    }

    /** Root and this process's own user: the only peers either end of a control connection trusts. */
    static boolean trusted(String user) {
        return user.equals("root") || user.equals(System.getProperty("user.name"));
    }

    /** A request's bytes at the most: a longer one is refused before it is read further. */
    static final int MAX_REQUEST = 64 * 1024;

    /** Reads one request of at most {@link #MAX_REQUEST} bytes; a longer one is an {@link IOException}. */
    static Request readRequest(SocketChannel ch) throws IOException {
        java.io.InputStream limited = new java.io.FilterInputStream(Channels.newInputStream(ch)) {
            private int count;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (count >= MAX_REQUEST) {
                    throw new IOException("a request of more than " + MAX_REQUEST + " bytes");
                }
                int n = super.read(b, off, Math.min(len, MAX_REQUEST - count));
                count += Math.max(n, 0);
                return n;
            }
        };
        return readRequest(new BufferedReader(new InputStreamReader(limited, StandardCharsets.UTF_8), 4096));
    }

    private static Request readRequest(BufferedReader in) throws IOException {
        if (!HELLO.equals(in.readLine())) {
            throw new IOException("not an " + HELLO + " request");
        }
        String mode = in.readLine();
        if (!"json".equals(mode) && !"text".equals(mode)) {
            throw new IOException("bad output mode " + mode);
        }
        List<String> args = new ArrayList<>();
        for (String line; (line = in.readLine()) != null && !line.isEmpty(); ) {
            args.add(line);
            if (args.size() > 64) {
                throw new IOException("too many arguments");
            }
        }
        return new Request(mode.equals("json"), args);
    }

    static void writeResponse(Writer out, Response r) throws IOException {
        for (Line l : r.lines()) {
            for (String t : l.text().split("\n", -1)) {
                out.write((l.error() ? "e " : "o ") + t + "\n");
            }
        }
        out.write("x " + r.exit() + "\n");
        out.flush();
    }

    static Response readResponse(SocketChannel ch) throws IOException {
        List<Line> lines = new ArrayList<>();
        int exit = readResponse(ch, lines::add);
        return Response.of(exit, lines);
    }

    /** Reads an answer, giving each line to {@code each} as it arrives; the exit code. */
    static int readResponse(SocketChannel ch, java.util.function.Consumer<Line> each) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.startsWith("x ")) {
                return Integer.parseInt(line.substring(2).strip());
            }
            if (line.length() < 2) {
                throw new IOException("a malformed control answer: " + line);
            }
            each.accept(new Line(line.charAt(0) == 'e', line.substring(2)));
        }
        throw new IOException("the daemon closed the control connection without an answer");
    }

    /**
     * The daemon's side of an answer: each line added is written and flushed at once; a client gone makes the next
     * add throw {@link java.io.UncheckedIOException}. {@link #awaitClosed} waits until the client closes its end.
     */
    static final class Streaming extends java.util.AbstractList<Line> {
        private final SocketChannel channel;
        private final Writer out;
        private int size;

        Streaming(SocketChannel channel, Writer out) {
            this.channel = channel;
            this.out = out;
        }

        @Override
        public synchronized boolean add(Line l) {
            try {
                for (String t : l.text().split("\n", -1)) {
                    out.write((l.error() ? "e " : "o ") + t + "\n");
                }
                out.flush();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            size++;
            return true;
        }

        @Override
        public Line get(int index) {
            throw new UnsupportedOperationException("the lines are on the wire");
        }

        @Override
        public synchronized int size() {
            return size;
        }

        /** Blocks until the client closes the connection (it sends nothing after its request). */
        void awaitClosed() {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64);
            try {
                while (channel.read(b.clear()) >= 0) {
                    // anything the client sends now is ignored
                }
            } catch (IOException e) {
                // closed
            }
        }

        void finish(int exit) throws IOException {
            out.write("x " + exit + "\n");
            out.flush();
        }
    }
}
