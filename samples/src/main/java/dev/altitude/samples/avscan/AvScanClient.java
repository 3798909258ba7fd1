package dev.altitude.samples.avscan;

import dev.altitude.core.FilterClient;
import dev.altitude.core.LentFile;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * avscan's user-mode side: N threads take requests from the port; a scan request's file is read through its lent
 * descriptor by the {@link Engine} (by default {@link #eicar()}, which looks for the EICAR test string anywhere in
 * the file), and the verdict is the reply. An abort request stops the engine of that scan between two reads; so
 * does the connection's end (the unload), which also closes the descriptors. Each verdict is one line on {@code
 * out}: {@code "scan open /x.txt: infected (68 bytes read)"}. Returns when the port is disconnected.
 *
 * <p>As a process: {@code java ... dev.altitude.samples.avscan.AvScanClient PORT_DIRECTORY [THREADS]}.
 */
public final class AvScanClient {
    public static final String DISCONNECTED = "avscan: port disconnected, the filter unloaded";

    /** A scanning engine: reads {@code file} as it likes; stops early (any verdict) once {@code aborted} holds. */
    @FunctionalInterface
    public interface Engine {
        boolean infected(LentFile file, BooleanSupplier aborted) throws IOException;
    }

    private final FilterClient port;
    private final PrintStream out;
    private final Engine engine;
    private final Set<Long> aborts = ConcurrentHashMap.newKeySet();
    private final AtomicLong scans = new AtomicLong();
    private final AtomicLong aborted = new AtomicLong();

    public AvScanClient(FilterClient port, PrintStream out, Engine engine) {
        this.port = port;
        this.out = out;
        this.engine = engine;
    }

    public AvScanClient(FilterClient port, PrintStream out) {
        this(port, out, eicar());
    }

    public static void main(String[] args) throws InterruptedException {
        FilterClient c;
        try {
            c = FilterClient.connect(Path.of(args[0]), AvScanMessages.PORT, new byte[0]);
        } catch (NtStatusException e) {
            System.err.println("avscan client: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.out.println("avscan client connected");
        System.out.flush();
        new AvScanClient(c, System.out).run(args.length > 1 ? Integer.parseInt(args[1]) : 2);
    }

    /** Scans finished (with a verdict given), scans aborted.  */
    public long scans() {
        return scans.get();
    }

    public long aborted() {
        return aborted.get();
    }

    /** Serves with {@code threads} threads until the port is disconnected; returns the number of verdicts. */
    public long run(int threads) throws InterruptedException {
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            workers.add(Thread.ofPlatform().name("avscan-client-" + i).start(this::serve));
        }
        for (Thread t : workers) {
            t.join();
        }
        say(DISCONNECTED);
        return scans.get();
    }

    private void say(String line) {
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }

    private void serve() {
        try {
            while (true) {
                FilterClient.Message m = port.getMessage();
                AvScanMessages.Request r;
                try {
                    r = AvScanMessages.Request.parse(m.data());
                } catch (IllegalArgumentException e) {
                    say("avscan client: " + e.getMessage());
                    continue;
                }
                if (r.type() == AvScanMessages.ABORT) {
                    aborts.add(r.scanId());
                    continue;
                }
                scan(m, r);
            }
        } catch (NtStatusException e) {
            if (!e.status().equals(NtStatus.PORT_DISCONNECTED)) {
                say("avscan client: " + e.getMessage());
            }
        }
    }

    private void scan(FilterClient.Message m, AvScanMessages.Request r) {
        BooleanSupplier stop = () -> aborts.contains(r.scanId()) || !port.isConnected();
        boolean infected;
        try (LentFile f = m.file()) {
            if (f == null) {
                say("avscan client: scan " + r.scanId() + " came without its file");
                port.reply(m, new byte[] {AvScanMessages.CLEAN});
                return;
            }
            infected = engine.infected(f, stop);
        } catch (IOException e) {
            infected = false; // the descriptor was closed under the engine: the connection ended
        }
        if (stop.getAsBoolean()) {
            aborts.remove(r.scanId());
            aborted.incrementAndGet();
            say("scan " + r.reasonName() + " " + r.name() + ": aborted");
            return;
        }
        // said and counted before it is given: whoever sees the verdict's effect sees them
        say("scan " + r.reasonName() + " " + r.name() + ": " + (infected ? "infected" : "clean"));
        scans.incrementAndGet();
        port.reply(m, new byte[] {infected ? AvScanMessages.INFECTED : AvScanMessages.CLEAN});
    }

    /**
     * The default engine: reads the whole file in 64 KiB reads, and finds the EICAR test string anywhere in it (a
     * match across two reads too). It stops at the first match, or when aborted.
     */
    public static Engine eicar() {
        byte[] sig = AvScanMessages.eicar();
        return (file, aborted) -> {
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            byte[] window = new byte[buf.capacity() + sig.length];
            int carried = 0;
            for (long at = 0; !aborted.getAsBoolean(); ) {
                buf.clear();
                int n = file.read(buf, at);
                if (n < 0) {
                    return false;
                }
                at += n;
                System.arraycopy(buf.array(), 0, window, carried, n);
                int have = carried + n;
                if (indexOf(window, have, sig) >= 0) {
                    return true;
                }
                carried = Math.min(sig.length - 1, have);
                System.arraycopy(window, have - carried, window, 0, carried);
            }
            return false;
        };
    }

    private static int indexOf(byte[] in, int length, byte[] sig) {
        outer:
        for (int i = 0; i + sig.length <= length; i++) {
            for (int j = 0; j < sig.length; j++) {
                if (in[i + j] != sig[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
