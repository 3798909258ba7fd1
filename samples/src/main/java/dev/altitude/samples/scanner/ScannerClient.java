package dev.altitude.samples.scanner;

import dev.altitude.core.FilterClient;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The scanner's user-mode side ({@code scanuser}): N threads take scan requests from the port, look for
 * {@code "foul"} in the bytes and reply whether the file is safe. Each verdict is one line on {@code out}
 * ({@code "scan open: foul"}). When the filter unloads every thread's wait ends with the port disconnected;
 * then it says so and returns 0.
 */
public final class ScannerClient {
    public static final String DISCONNECTED = "Port is disconnected, probably due to scanner filter unloading";

    private final FilterClient port;
    private final PrintStream out;
    private final AtomicLong scans = new AtomicLong();

    /** The connection context a client process sends: its process id, so that the filter skips its I/O. */
    public static byte[] connectionContext() {
        return java.nio.ByteBuffer.allocate(Long.BYTES).putLong(ProcessHandle.current().pid()).array();
    }

    public ScannerClient(FilterClient port, PrintStream out) {
        this.port = port;
        this.out = out;
    }

    /** Serves with {@code threads} threads until the port is disconnected; returns the number of scans. */
    public long run(int threads) throws InterruptedException {
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            workers.add(Thread.ofPlatform().name("scanuser-" + i).start(this::serve));
        }
        for (Thread t : workers) {
            t.join();
        }
        synchronized (out) {
            out.println(DISCONNECTED);
            out.flush();
        }
        return scans.get();
    }

    private void serve() {
        try {
            while (true) {
                FilterClient.Message m = port.getMessage();
                boolean foul = ScannerMessages.isFoul(m.data());
                synchronized (out) { // the verdict is said before it is given: whoever sees its effect sees the line
                    out.println("scan " + ScannerMessages.reasonName(ScannerMessages.reason(m.data())) + ": "
                            + (foul ? "foul" : "clean"));
                    out.flush();
                }
                NtStatus s = port.reply(m, new byte[] {foul ? ScannerMessages.FOUL : ScannerMessages.SAFE});
                scans.incrementAndGet();
                if (!s.isSuccess()) {
                    synchronized (out) {
                        out.println("scanuser: the reply was not taken: " + s);
                        out.flush();
                    }
                }
            }
        } catch (NtStatusException e) {
            if (!e.status().equals(NtStatus.PORT_DISCONNECTED)) {
                synchronized (out) {
                    out.println("scanuser: " + e.getMessage());
                }
            }
        }
    }
}
