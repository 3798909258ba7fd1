package dev.altitude.test;

import dev.altitude.core.FilterManager;
import java.nio.file.Path;

/**
 * Connects the user-mode side of your filter, speaking your own port protocol, for one load of it in the unload
 * torture (or any test). What it returns is closed after that load's unload: by then the filter has disconnected
 * the client, so {@code close} only ends what the client started (join its threads, or wait for its process); it
 * must not block for ever.
 *
 * <pre>{@code
 * ClientFactory scanners = c -> {
 *     FilterClient port = FilterClient.connect(c.manager(), "ScannerPort", null);
 *     Thread t = Thread.ofPlatform().start(() -> serve(port));   // until PORT_DISCONNECTED
 *     return () -> { t.join(); port.close(); };
 * };
 * }</pre>
 */
@FunctionalInterface
public interface ClientFactory {

    /**
     * Where a client connects: the manager (clients in this JVM), its port directory (other processes); the names
     * of the volumes the torture's I/O runs on; which cycle (from 0) and which of its clients (from 0) this is.
     */
    record Connection(FilterManager manager, Path portDirectory, java.util.List<String> volumes, int cycle, int client) {
    }

    AutoCloseable connect(Connection connection) throws Exception;
}
