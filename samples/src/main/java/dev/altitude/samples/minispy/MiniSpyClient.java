package dev.altitude.samples.minispy;

import dev.altitude.core.FilterClient;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import dev.altitude.core.PortResult;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * minispy's user-mode side: pulls the log over the port every {@code interval} (as the original polls
 * every 200 ms) and prints it as a table or as JSON lines; attaches, detaches and lists through the port.
 * When the filter unloads, it says so and stops.
 */
public final class MiniSpyClient {
    public static final String UNLOADED = "The minispy filter has unloaded. Exiting";
    private static final int ANSWER = 256 * 1024;

    private final FilterClient port;
    private final PrintStream out;
    private final boolean json;

    public MiniSpyClient(FilterClient port, PrintStream out, boolean json) {
        this.port = port;
        this.out = out;
        this.json = json;
    }

    /** Runs one command ({@link MiniSpyMessages#ATTACH}, DETACH, LIST, GET_VERSION) and returns its answer text. */
    public String command(byte command, String... args) {
        PortResult r = port.send(MiniSpyMessages.command(command, args), ANSWER);
        if (r.status().isFailure()) {
            throw new NtStatusException(r.status(), "minispy command failed");
        }
        return new String(r.data(), StandardCharsets.UTF_8);
    }

    /** One pull: the records the filter had (possibly none), printed. Empty when the filter has unloaded. */
    public java.util.Optional<List<MiniSpyMessages.Record>> pull() {
        PortResult r = port.send(MiniSpyMessages.getLog(ANSWER), ANSWER);
        if (r.status().equals(NtStatus.PORT_DISCONNECTED)) {
            return java.util.Optional.empty();
        }
        if (r.status().isFailure()) {
            throw new NtStatusException(r.status(), "minispy log request failed");
        }
        List<MiniSpyMessages.Record> records = MiniSpyMessages.records(r.data());
        for (MiniSpyMessages.Record rec : records) {
            out.println(json ? rec.toJson() : rec.toRow());
        }
        out.flush();
        return java.util.Optional.of(records);
    }

    /**
     * Pulls until the filter unloads or {@code limit} records (overflow markers included) were printed
     * (no limit when negative); between empty pulls it waits {@code interval}. Returns the count printed.
     */
    public long follow(Duration interval, long limit) throws InterruptedException {
        if (!json) {
            out.println(MiniSpyMessages.Record.header());
        }
        long printed = 0;
        while (limit < 0 || printed < limit) {
            var records = pull();
            if (records.isEmpty()) {
                out.println(UNLOADED);
                out.flush();
                break;
            }
            printed += records.get().size();
            if (records.get().isEmpty()) {
                Thread.sleep(interval); // the original's polling period: there is no notification to wait for
            }
        }
        return printed;
    }
}
