package dev.altitude.cli;

import dev.altitude.core.FilterClient;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where a running filter manager's ports listen, shared by the clients. */
final class PortOptions {
    static final String DEFAULT = System.getenv().getOrDefault("ALTITUDE_PORT_DIR", "/run/altitude/ports");

    @Option(names = "--port-dir", paramLabel = "DIR",
            description = "the directory of the filter manager's port sockets (default: $ALTITUDE_PORT_DIR or "
                    + "/run/altitude/ports)")
    Path directory = Path.of(DEFAULT);

    /** Connects, or fails with one line that says what is missing. */
    FilterClient connect(String port, byte[] context, String filterName) {
        try {
            return FilterClient.connect(directory, port, context);
        } catch (NtStatusException e) {
            if (e.status().equals(NtStatus.OBJECT_NAME_NOT_FOUND)) {
                throw new NtStatusException(e.status(), "no port " + port + " in " + directory + " (is the " + filterName
                        + " filter loaded?)");
            }
            throw e;
        }
    }
}
