package dev.altitude.core;

import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * Who may connect to a port from another process: the mode of its socket file and the check of the
 * peer's credentials. The owner of the manager's process and root may always connect; in the same JVM
 * the check always passes. {@code SO_PEERCRED} gives a peer's primary group only, so {@link #group}
 * admits peers by their primary group.
 */
public final class PortAccess {
    private final Set<PosixFilePermission> mode;
    private final String group;
    private final Set<String> users;

    private final boolean files;

    private PortAccess(Set<PosixFilePermission> mode, String group, Set<String> users) {
        this(mode, group, users, false);
    }

    private PortAccess(Set<PosixFilePermission> mode, String group, Set<String> users, boolean files) {
        this.mode = mode;
        this.group = group;
        this.users = users;
        this.files = files;
    }

    /**
     * The same access, and the filter may lend files to clients
     * ({@link Filter#sendMessage(ClientPort, byte[], int, java.time.Duration, LentFile)}): beside the port's socket
     * a descriptor socket {@code <name>.files}, of the same mode and group, which each connecting client joins before
     * its connection is accepted. A lent file can be read by the client whatever its own rights to it: give this to
     * a port only the scanner's user can reach.
     */
    public PortAccess lendingFiles() {
        return new PortAccess(mode, group, users, true);
    }

    /** True if the filter may lend files to clients of this port. */
    public boolean lendsFiles() {
        return files;
    }

    /** The default: socket file 0600, the owner (and root) only. */
    public static PortAccess owner() {
        return new PortAccess(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE), null, Set.of());
    }

    /** Socket file 0660 in {@code group}; the owner, root, and peers whose primary group it is. */
    public static PortAccess group(String group) {
        return new PortAccess(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE), group, Set.of());
    }

    /** Socket file 0666; the owner, root, and these users (everyone else reaches the check and is refused). */
    public static PortAccess users(String... users) {
        return new PortAccess(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE), null, Set.of(users));
    }

    Set<PosixFilePermission> fileMode() {
        return mode;
    }

    String fileGroup() {
        return group;
    }

    /** The credential check. */
    boolean allows(PeerIdentity peer) {
        if (peer.inProcess()) {
            return true;
        }
        String owner = System.getProperty("user.name");
        return "root".equals(peer.user()) || owner.equals(peer.user()) || users.contains(peer.user())
                || (group != null && group.equals(peer.group()));
    }

    @Override
    public String toString() {
        return "PortAccess[" + java.nio.file.attribute.PosixFilePermissions.toString(mode) + (group == null ? "" : " group " + group)
                + (users.isEmpty() ? "" : " users " + users) + (files ? " lending files" : "") + "]";
    }
}
