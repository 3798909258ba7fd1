package dev.altitude.test.filters;

import dev.altitude.core.FilterClient;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import dev.altitude.test.KillPoints;
import java.nio.file.Path;

/**
 * The user-mode side of {@link Asker}, run in a second JVM: connects through the port directory given as its
 * argument, says "connected", then answers every message (kill points "received" and "replied") until the port
 * is disconnected, and says "disconnected". With a second argument {@code silent} it takes messages and never answers.
 */
public final class AskerClient {
    private AskerClient() {
    }

    public static void main(String[] args) {
        try (FilterClient port = FilterClient.connect(Path.of(args[0]), Asker.PORT, null)) {
            System.out.println("connected");
            while (true) {
                FilterClient.Message m = port.getMessage();
                KillPoints.reached("received");
                if (args.length > 1 && args[1].equals("silent")) {
                    System.out.println("silent on " + new String(m.data(), java.nio.charset.StandardCharsets.UTF_8));
                    continue;
                }
                port.reply(m, new byte[] {0});
                KillPoints.reached("replied");
            }
        } catch (NtStatusException e) {
            System.out.println(e.status().equals(NtStatus.PORT_DISCONNECTED) ? "disconnected" : "failed: " + e);
        }
    }
}
