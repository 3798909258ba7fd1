package dev.altitude.fuse;

import dev.altitude.core.CallbackData;
import dev.altitude.core.FileObject;
import dev.altitude.core.IoParameters;
import dev.altitude.core.IoParameters.Access;
import dev.altitude.core.IoParameters.CreateDisposition;
import dev.altitude.core.IoParameters.CreateOption;
import dev.altitude.core.IoParameters.FileKind;
import dev.altitude.core.NtStatus;
import dev.altitude.core.Requestor;
import dev.altitude.core.Volume;
import java.util.List;
import java.util.Set;

/**
 * How a FUSE front end sends core operations to its volume: one operation with its errno, and an operation on a
 * name as a Windows program would do it (open, the operations, cleanup and close).
 */
final class PathCalls {
    /**
     * An open for metadata that never follows a link: the kernel resolves every link of a path before it calls
     * the daemon, so an operation that reaches a link means the link itself (lchown, utimensat with
     * AT_SYMLINK_NOFOLLOW), and a link the daemon followed would take a root-run call to wherever it points.
     */
    static final IoParameters.Create META_OPEN = new IoParameters.Create(Set.of(Access.READ_ATTRIBUTES),
            CreateDisposition.OPEN, Set.of(CreateOption.OPEN_REPARSE_POINT), FileKind.FILE, null, null);

    /** The outcome of one operation: 0 or {@code -errno}, and the callback data for its result. */
    record Done(int code, CallbackData data) {
        boolean ok() {
            return code == 0;
        }
    }

    private final Volume volume;

    PathCalls(Volume volume) {
        this.volume = volume;
    }

    Done send(FileObject fo, IoParameters p, Requestor who) {
        CallbackData d = new CallbackData(fo, p, who);
        return new Done(-errno(volume.perform(d), d), d);
    }

    /**
     * The errno of an operation's status: the source's own errno when the backend failed it with one that maps
     * to this status (so an errno the table folds into another status reaches the caller as it was), else the
     * table's.
     */
    static int errno(NtStatus s, CallbackData d) {
        if (!s.isFailure()) {
            return 0;
        }
        int own = PosixBackend.errnoOf(d);
        return own > 0 && Errnos.toStatus(own).equals(s) ? own : Errnos.toErrno(s);
    }

    /** {@code CLEANUP} then {@code CLOSE}, as closing the last handle does. */
    void close(FileObject fo, Requestor who) {
        send(fo, new IoParameters.Cleanup(), who);
        send(fo, new IoParameters.Close(), who);
    }

    /**
     * Opens {@code path} with {@code open}, runs {@code ops} in order until one fails, closes it. The last
     * operation run (or the failed open) is the outcome; no operation at all is a success.
     */
    Done onPath(String path, IoParameters.Create open, Requestor who, List<IoParameters> ops) {
        FileObject fo = new FileObject(path);
        Done d = send(fo, open, who);
        if (!d.ok()) {
            return d;
        }
        try {
            for (IoParameters p : ops) {
                d = send(fo, p, who);
                if (!d.ok()) {
                    break;
                }
            }
            return d;
        } finally {
            close(fo, who);
        }
    }

    /** Opens {@code path} for metadata, runs {@code p}, closes it. */
    Done onPath(String path, Requestor who, IoParameters p) {
        return onPath(path, META_OPEN, who, List.of(p));
    }
}
