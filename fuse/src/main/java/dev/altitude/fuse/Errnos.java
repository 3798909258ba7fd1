package dev.altitude.fuse;

import dev.altitude.core.NtStatus;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Statuses and Linux errno values, both ways, in one table. A FUSE operation answers {@code -errno}; the
 * status a filter or the backend gave becomes its errno, and an errno (from elsewhere) its status.
 *
 * <pre>
 * status                          errno
 * SUCCESS                         0
 * OBJECT_NAME_NOT_FOUND           ENOENT (2)       also OBJECT_PATH_NOT_FOUND, NO_SUCH_FILE
 * ACCESS_DENIED                   EACCES (13)
 * PRIVILEGE_NOT_HELD              EPERM (1)
 * OBJECT_NAME_COLLISION           EEXIST (17)
 * NOT_SAME_DEVICE                 EXDEV (18)
 * NOT_A_DIRECTORY                 ENOTDIR (20)
 * FILE_IS_A_DIRECTORY             EISDIR (21)
 * INVALID_PARAMETER               EINVAL (22)
 * DISK_FULL                       ENOSPC (28)
 * MEDIA_WRITE_PROTECTED           EROFS (30)
 * BUFFER_TOO_SMALL                ERANGE (34)      also BUFFER_OVERFLOW
 * NAME_TOO_LONG                   ENAMETOOLONG (36)
 * FILE_LOCK_CONFLICT              ENOLCK (37)      also LOCK_NOT_GRANTED: EAGAIN (11)
 * INVALID_DEVICE_REQUEST          ENOSYS (38)
 * DIRECTORY_NOT_EMPTY             ENOTEMPTY (39)
 * REPARSE_POINT_NOT_RESOLVED      ELOOP (40)       a link where none may be followed, or a loop
 * TOO_MANY_LINKS                  EMLINK (31)
 * QUOTA_EXCEEDED                  EDQUOT (122)
 * FILE_TOO_LARGE                  EFBIG (27)
 * NO_EAS_ON_FILE                  ENODATA (61)
 * NOT_SUPPORTED                   EOPNOTSUPP (95)  also EAS_NOT_SUPPORTED
 * CANCELLED                       EINTR (4)
 * INSUFFICIENT_RESOURCES          ENOMEM (12)
 * INVALID_HANDLE                  EBADF (9)
 * SHARING_VIOLATION               EBUSY (16)
 * any other error                 EIO (5)
 * </pre>
 */
public final class Errnos {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EXDEV = 18;
    public static final int ENODEV = 19;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int EFBIG = 27;
    public static final int EROFS = 30;
    public static final int EMLINK = 31;
    public static final int ERANGE = 34;
    public static final int ENAMETOOLONG = 36;
    public static final int ENOLCK = 37;
    public static final int ENOSYS = 38;
    public static final int ENOTEMPTY = 39;
    public static final int ELOOP = 40;
    public static final int ENODATA = 61;
    public static final int EOPNOTSUPP = 95;
    public static final int EDQUOT = 122;
    public static final int ETXTBSY = 26;

    /** The status of each errno (one status per errno: the first in the table above). */
    private static final Map<Integer, NtStatus> TO_STATUS = new LinkedHashMap<>();
    private static final Map<NtStatus, Integer> TO_ERRNO = new LinkedHashMap<>();

    private static void map(NtStatus status, int errno) {
        TO_ERRNO.put(status, errno);
        TO_STATUS.putIfAbsent(errno, status);
    }

    static {
        map(NtStatus.SUCCESS, 0);
        map(NtStatus.OBJECT_NAME_NOT_FOUND, ENOENT);
        map(NtStatus.OBJECT_PATH_NOT_FOUND, ENOENT);
        map(NtStatus.NO_SUCH_FILE, ENOENT);
        map(NtStatus.ACCESS_DENIED, EACCES);
        map(NtStatus.PRIVILEGE_NOT_HELD, EPERM);
        map(NtStatus.OBJECT_NAME_COLLISION, EEXIST);
        map(NtStatus.NOT_SAME_DEVICE, EXDEV);
        map(NtStatus.NOT_A_DIRECTORY, ENOTDIR);
        map(NtStatus.FILE_IS_A_DIRECTORY, EISDIR);
        map(NtStatus.INVALID_PARAMETER, EINVAL);
        map(NtStatus.DISK_FULL, ENOSPC);
        map(NtStatus.MEDIA_WRITE_PROTECTED, EROFS);
        map(NtStatus.BUFFER_TOO_SMALL, ERANGE);
        map(NtStatus.BUFFER_OVERFLOW, ERANGE);
        map(NtStatus.NAME_TOO_LONG, ENAMETOOLONG);
        map(NtStatus.FILE_LOCK_CONFLICT, ENOLCK);
        map(NtStatus.LOCK_NOT_GRANTED, EAGAIN);
        map(NtStatus.INVALID_DEVICE_REQUEST, ENOSYS);
        map(NtStatus.DIRECTORY_NOT_EMPTY, ENOTEMPTY);
        map(NtStatus.REPARSE_POINT_NOT_RESOLVED, ELOOP);
        map(NtStatus.TOO_MANY_LINKS, EMLINK);
        map(NtStatus.QUOTA_EXCEEDED, EDQUOT);
        map(NtStatus.FILE_TOO_LARGE, EFBIG);
        map(NtStatus.NO_EAS_ON_FILE, ENODATA);
        map(NtStatus.NOT_SUPPORTED, EOPNOTSUPP);
        map(NtStatus.EAS_NOT_SUPPORTED, EOPNOTSUPP);
        map(NtStatus.CANCELLED, EINTR);
        map(NtStatus.INSUFFICIENT_RESOURCES, ENOMEM);
        map(NtStatus.INVALID_HANDLE, EBADF);
        map(NtStatus.SHARING_VIOLATION, EBUSY);
        map(NtStatus.UNEXPECTED_IO_ERROR, EIO);
    }

    private Errnos() {
    }

    /** The errno (positive) of a status: 0 for a success, EIO for an error the table does not name. */
    public static int toErrno(NtStatus status) {
        Integer e = TO_ERRNO.get(status);
        if (e != null) {
            return e;
        }
        return status.isFailure() ? EIO : 0;
    }

    /** The status of an errno: SUCCESS for 0, UNEXPECTED_IO_ERROR for one the table does not name. */
    public static NtStatus toStatus(int errno) {
        return TO_STATUS.getOrDefault(Math.abs(errno), NtStatus.UNEXPECTED_IO_ERROR);
    }

    /** The table, status to errno, for tests and documentation. */
    static Map<NtStatus, Integer> table() {
        return Map.copyOf(TO_ERRNO);
    }
}
