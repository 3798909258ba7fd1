package dev.altitude.core;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The user-mode side of the cross-process tests, run in a second JVM: it uses only {@link FilterClient}
 * over the port's socket. Modes: {@code echo} replies to each message with it in upper case until
 * disconnected; {@code scan} reads each message's lent file and replies with its text; {@code hang} takes one message and never replies (the test kills it); {@code connect}
 * only tries to connect. It reports on stdout, one line per event.
 */
public final class PortClientProcess {
    private PortClientProcess() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path dir = Path.of(args[1]);
        String port = args[2];
        FilterClient c;
        try {
            c = FilterClient.connect(dir, port, (args.length > 3 ? args[3] : "").getBytes());
        } catch (NtStatusException e) {
            System.out.println("refused " + e.status().name());
            return;
        }
        System.out.println("connected");
        switch (mode) {
            case "connect" -> c.close();
            case "hang" -> {
                FilterClient.Message m = c.getMessage();
                System.out.println("got " + new String(m.data()));
                new CountDownLatch(1).await();
            }
            case "echo" -> {
                try {
                    while (true) {
                        FilterClient.Message m = c.getMessage();
                        if (m.wantsReply()) {
                            c.reply(m, new String(m.data()).toUpperCase().getBytes());
                        }
                        System.out.println("got " + new String(m.data()));
                    }
                } catch (NtStatusException e) {
                    System.out.println("disconnected " + e.status().name());
                }
            }
            case "scan" -> {
                try {
                    while (true) {
                        FilterClient.Message m = c.getMessage();
                        String verdict;
                        try (LentFile f = m.file()) {
                            verdict = f == null ? "no file" : new String(f.inputStream().readAllBytes()).strip();
                        }
                        System.out.println("scanned " + verdict);
                        c.reply(m, verdict.getBytes());
                    }
                } catch (NtStatusException e) {
                    System.out.println("disconnected " + e.status().name());
                }
            }
            default -> throw new IllegalArgumentException(mode);
        }
    }
}
