package dev.altitude.nio;

import dev.altitude.core.NtStatus;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;

/**
 * Statuses and the exceptions a Java caller expects, both ways: a backend's exception becomes a status on
 * the way up (so post-operations see it), and a status becomes the exception on the way out.
 */
public final class NioErrors {
    private NioErrors() {
    }

    /** The status for an exception of a base file system. */
    public static NtStatus toStatus(Exception e) {
        return switch (e) {
            case NoSuchFileException x -> NtStatus.OBJECT_NAME_NOT_FOUND;
            case FileAlreadyExistsException x -> NtStatus.OBJECT_NAME_COLLISION;
            case AccessDeniedException x -> NtStatus.ACCESS_DENIED;
            case DirectoryNotEmptyException x -> NtStatus.DIRECTORY_NOT_EMPTY;
            case NotDirectoryException x -> NtStatus.NOT_A_DIRECTORY;
            case AtomicMoveNotSupportedException x -> NtStatus.NOT_SAME_DEVICE;
            case NotLinkException x -> NtStatus.NOT_A_REPARSE_POINT;
            case FileSystemLoopException x -> NtStatus.REPARSE_POINT_NOT_RESOLVED;
            case java.nio.channels.OverlappingFileLockException x -> NtStatus.FILE_LOCK_CONFLICT;
            case java.nio.channels.NonWritableChannelException x -> NtStatus.ACCESS_DENIED;
            case java.nio.channels.NonReadableChannelException x -> NtStatus.ACCESS_DENIED;
            case UnsupportedOperationException x -> NtStatus.NOT_SUPPORTED;
            case IllegalArgumentException x -> NtStatus.INVALID_PARAMETER;
            case FileSystemException x -> byReason(x.getReason());
            case IOException x -> byReason(x.getMessage()); // a channel's read or write names only strerror's text
            default -> NtStatus.UNEXPECTED_IO_ERROR;
        };
    }

    /** A {@link FileSystemException} of the JDK's own provider names the error in its reason (strerror). */
    private static NtStatus byReason(String reason) {
        String r = String.valueOf(reason).toLowerCase(java.util.Locale.ROOT);
        if (r.contains("is a directory")) {
            return NtStatus.FILE_IS_A_DIRECTORY;
        } else if (r.contains("not a directory")) {
            return NtStatus.NOT_A_DIRECTORY;
        } else if (r.contains("no space")) {
            return NtStatus.DISK_FULL;
        } else if (r.contains("operation not permitted")) {
            return NtStatus.PRIVILEGE_NOT_HELD;
        } else if (r.contains("too many levels of symbolic links")) {
            return NtStatus.REPARSE_POINT_NOT_RESOLVED;
        } else if (r.contains("too many links")) {
            return NtStatus.TOO_MANY_LINKS;
        } else if (r.contains("disk quota exceeded")) {
            return NtStatus.QUOTA_EXCEEDED;
        } else if (r.contains("file too large")) {
            return NtStatus.FILE_TOO_LARGE;
        } else if (r.contains("file name too long")) {
            return NtStatus.NAME_TOO_LONG;
        } else if (r.contains("read-only file system")) {
            return NtStatus.MEDIA_WRITE_PROTECTED;
        } else if (r.contains("cross-device link")) {
            return NtStatus.NOT_SAME_DEVICE;
        } else if (r.contains("directory not empty")) {
            return NtStatus.DIRECTORY_NOT_EMPTY;
        } else if (r.contains("no data available")) {
            return NtStatus.NO_EAS_ON_FILE;
        }
        return NtStatus.UNEXPECTED_IO_ERROR;
    }

    /**
     * The exception for a failure status of an operation on {@code file} ({@code other}: the second path
     * of a move or link). Statuses without an NIO counterpart give a {@link FileSystemException} whose
     * reason names the status.
     */
    public static IOException toException(NtStatus status, String file, String other) {
        return toException(status, file, other, null, f -> f);
    }

    /**
     * As {@link #toException(NtStatus, String, String)}; {@code result} is the operation's result: a
     * {@link dev.altitude.core.IoResult.BackendFailure} holds the base file system's exception when the status came from it (a filter may instead have failed the
     * operation, or replaced the status). When the status is the base's, the caller gets the base's exception
     * again, of the same class and reason, with the paths it names translated from base paths to volume paths
     * by {@code toVolume}: exactly what the program would have seen without Altitude.
     */
    static IOException toException(NtStatus status, String file, String other, dev.altitude.core.IoResult result,
                                   java.util.function.UnaryOperator<String> toVolume) {
        if (result instanceof dev.altitude.core.IoResult.BackendFailure(Exception c) && toStatus(c).equals(status)) {
            if (c instanceof RuntimeException r) {
                throw r; // the base refused the call itself (an unsupported view, a bad argument)
            }
            if (c instanceof FileSystemException f) {
                IOException again = rebuild(f, toVolume.apply(f.getFile()), toVolume.apply(f.getOtherFile()));
                again.initCause(f);
                return again;
            }
            if (c instanceof IOException io) {
                return io;
            }
        }
        IOException e = mapped(status, file, other);
        return e != null ? e : new FileSystemException(file, other, status.toString());
    }

    /** An exception of the base file system, naming volume paths instead of base paths ({@code toVolume}). */
    static IOException onVolume(IOException e, java.util.function.UnaryOperator<String> toVolume) {
        if (e instanceof FileSystemException f) {
            IOException again = rebuild(f, toVolume.apply(f.getFile()), toVolume.apply(f.getOtherFile()));
            if (again != f) {
                again.initCause(f);
            }
            return again;
        }
        return e;
    }

    /** The same exception naming other paths; a class this does not know is returned as it is. */
    private static FileSystemException rebuild(FileSystemException f, String file, String other) {
        String reason = f.getReason();
        return switch (f) {
            case NoSuchFileException x -> new NoSuchFileException(file, other, reason);
            case FileAlreadyExistsException x -> new FileAlreadyExistsException(file, other, reason);
            case AccessDeniedException x -> new AccessDeniedException(file, other, reason);
            case DirectoryNotEmptyException x -> new DirectoryNotEmptyException(file);
            case NotDirectoryException x -> new NotDirectoryException(file);
            case AtomicMoveNotSupportedException x -> new AtomicMoveNotSupportedException(file, other, reason);
            case NotLinkException x -> new NotLinkException(file, other, reason);
            case FileSystemLoopException x -> new FileSystemLoopException(file);
            default -> f.getClass() == FileSystemException.class ? new FileSystemException(file, other, reason) : f;
        };
    }

    private static IOException mapped(NtStatus status, String file, String other) {
        if (status.equals(NtStatus.OBJECT_NAME_NOT_FOUND) || status.equals(NtStatus.OBJECT_PATH_NOT_FOUND)
                || status.equals(NtStatus.NO_SUCH_FILE)) {
            return new NoSuchFileException(file, other, null);
        }
        if (status.equals(NtStatus.OBJECT_NAME_COLLISION)) {
            return new FileAlreadyExistsException(other != null ? other : file);
        }
        if (status.equals(NtStatus.ACCESS_DENIED)) {
            return new AccessDeniedException(file, other, null);
        }
        if (status.equals(NtStatus.DIRECTORY_NOT_EMPTY)) {
            return new DirectoryNotEmptyException(file);
        }
        if (status.equals(NtStatus.NOT_A_DIRECTORY)) {
            return new NotDirectoryException(file);
        }
        if (status.equals(NtStatus.NOT_SAME_DEVICE)) {
            return new AtomicMoveNotSupportedException(file, other, "atomic move not possible");
        }
        if (status.equals(NtStatus.NOT_A_REPARSE_POINT)) {
            return new NotLinkException(file);
        }
        if (status.equals(NtStatus.REPARSE_POINT_NOT_RESOLVED)) {
            return new FileSystemLoopException(file);
        }
        if (status.equals(NtStatus.FILE_IS_A_DIRECTORY)) {
            return new FileSystemException(file, other, "Is a directory");
        }
        return null;
    }
}
