package dev.altitude.core;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Who connected to a port: the peer's user and primary group (from {@code SO_PEERCRED} across processes)
 * and its process id where the platform gives it (in the same JVM; the JDK does not expose a Unix socket
 * peer's pid).
 */
public record PeerIdentity(String user, String group, OptionalLong processId, boolean inProcess) {

    /** This process itself: a client in the same JVM. */
    static PeerIdentity self() {
        String group = null;
        try {
            group = Files.getAttribute(Path.of("/proc/self"), "posix:group").toString();
        } catch (Exception e) {
            // no POSIX attributes here; the group stays unknown
        }
        return new PeerIdentity(System.getProperty("user.name"), group,
                OptionalLong.of(ProcessHandle.current().pid()), true);
    }
}
