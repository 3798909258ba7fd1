package dev.altitude.core;

/** Who asked for an operation: process id, user id and group id (-1 where unknown). */
public record Requestor(long pid, int uid, int gid) {
    public static final Requestor UNKNOWN = new Requestor(-1, -1, -1);

    /** This JVM, with unknown uid and gid. */
    public static Requestor self() {
        return new Requestor(ProcessHandle.current().pid(), -1, -1);
    }
}
