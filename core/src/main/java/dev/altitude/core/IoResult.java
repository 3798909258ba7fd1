package dev.altitude.core;

import dev.altitude.core.IoParameters.FileKind;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Objects;

/**
 * What an operation gives back beside its status and information ({@link CallbackData#result()}): one record
 * per kind of answer, the same whichever backend produced it and whichever front end asked, so a filter can read
 * or replace it (a post-operation that shows a plaintext size replaces {@link FileAttributes} with
 * {@link FileAttributes#withSize}).
 */
public sealed interface IoResult {

    /**
     * A file's attributes ({@code QUERY_INFORMATION} of {@code FileBasicInformation}, {@code FileAllInformation},
     * {@code FilePosixInformation}). What a file system does not keep is null ({@code mode}, {@code owner},
     * {@code group}, {@code changeTime}) or -1 ({@code inode}, {@code device}, {@code links}, {@code rdev},
     * {@code allocationSize}: the bytes the file takes on its medium, Windows' {@code AllocationSize}, POSIX's
     * {@code st_blocks} × 512); the owner's and group's names are given only for {@code FileAllInformation}.
     */
    record FileAttributes(FileKind kind, long size, FileTime lastModifiedTime, FileTime lastAccessTime,
                          FileTime creationTime, FileTime changeTime, FileMode mode, Principal owner, Principal group,
                          long inode, long device, int links, long rdev, long allocationSize) implements IoResult {
        /** Attributes of a file system that does not say how much space a file takes ({@code allocationSize} -1). */
        public FileAttributes(FileKind kind, long size, FileTime lastModifiedTime, FileTime lastAccessTime,
                              FileTime creationTime, FileTime changeTime, FileMode mode, Principal owner, Principal group,
                              long inode, long device, int links, long rdev) {
            this(kind, size, lastModifiedTime, lastAccessTime, creationTime, changeTime, mode, owner, group, inode, device,
                    links, rdev, -1);
        }

        public FileAttributes {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(lastModifiedTime, "lastModifiedTime");
            Objects.requireNonNull(lastAccessTime, "lastAccessTime");
            Objects.requireNonNull(creationTime, "creationTime");
        }

        /** The same attributes with another size. */
        public FileAttributes withSize(long newSize) {
            return new FileAttributes(kind, newSize, lastModifiedTime, lastAccessTime, creationTime, changeTime, mode,
                    owner, group, inode, device, links, rdev, allocationSize);
        }

        /** Whether the file system keeps POSIX mode bits, owner and group. */
        public boolean hasPosix() {
            return mode != null && owner != null && group != null;
        }
    }

    /** {@code FileStandardInformation}: the end of file, and whether the file is a directory. */
    record StandardInformation(long endOfFile, boolean directory) implements IoResult {
    }

    /** {@code QUERY_SECURITY}: the mode bits, owner and group. */
    record Security(FileMode mode, Principal owner, Principal group) implements IoResult {
    }

    /** {@code FileNormalizedNameInformation}: the file's real path (no links, no dot entries), as a volume path. */
    record NormalizedName(String path) implements IoResult {
        public NormalizedName {
            Objects.requireNonNull(path, "path");
        }
    }

    /** {@code FileAccessInformation}: what the requestor may do with the file. */
    record AccessInformation(boolean read, boolean write, boolean execute) implements IoResult {
    }

    /** {@code FSCTL_GET_REPARSE_POINT} of a symbolic link: its target, as stored. */
    record ReparsePoint(String target) implements IoResult {
        public ReparsePoint {
            Objects.requireNonNull(target, "target");
        }
    }

    /** {@code QUERY_VOLUME_INFORMATION}: the volume's sizes, in bytes, and what it is. */
    record VolumeInformation(String name, String type, long totalBytes, long freeBytes, long usableBytes,
                             long blockSize, boolean readOnly) implements IoResult {
    }

    /**
     * A directory entry returned by {@code DIRECTORY_CONTROL}; {@code kind} is null when the listing does not say
     * without a look at each entry (a {@code java.nio} base, as Windows' {@code FileNamesInformation} names only);
     * {@code size} is -1 when the listing does not say; {@code attributes} when the query asked for them and the
     * backend had them (null otherwise, as for an entry gone between the listing and its look).
     */
    record DirectoryEntry(String name, FileKind kind, long size, FileAttributes attributes) {
        /** An entry without its attributes. */
        public DirectoryEntry(String name, FileKind kind, long size) {
            this(name, kind, size, null);
        }
    }

    /** The result of a directory query. */
    record DirectoryListing(List<DirectoryEntry> entries) implements IoResult {
        public DirectoryListing {
            entries = List.copyOf(entries);
        }
    }

    /** One change in a watched directory: what happened to which name (a name in the directory, no path). */
    record DirectoryChange(IoParameters.ChangeAction action, String name) {
        public DirectoryChange {
            java.util.Objects.requireNonNull(action, "action");
            java.util.Objects.requireNonNull(name, "name");
        }
    }

    /** The result of a change notification ({@code FILE_NOTIFY_INFORMATION} entries), oldest first. */
    record DirectoryChanges(List<DirectoryChange> changes) implements IoResult {
        public DirectoryChanges {
            changes = List.copyOf(changes);
        }
    }

    /** {@code QUERY_EA} of one name: its value. */
    record EaValue(byte[] value) implements IoResult {
        public EaValue {
            Objects.requireNonNull(value, "value");
        }
    }

    /** {@code QUERY_EA} of every name: the names. */
    record EaNames(List<String> names) implements IoResult {
        public EaNames {
            names = List.copyOf(names);
        }
    }

    /**
     * {@link IoParameters.LockControl#test}: a lock that stands in the way, its range ({@code length} {@link Long#MAX_VALUE}:
     * to the end of the file and beyond), whether it is shared, and its holder's process id (0 if unknown).
     */
    record LockConflict(long offset, long length, boolean shared, int pid) implements IoResult {
    }

    /** {@code FSCTL_QUERY_ALLOCATED_RANGES} (as {@code lseek} asks it): the offset found. */
    record Offset(long offset) implements IoResult {
    }

    /**
     * A failed operation's own exception, kept by a backend for a front end that gives its caller exactly the
     * exception the base file system gave (the NIO front end does); filters go by the status.
     */
    record BackendFailure(Exception cause) implements IoResult {
        public BackendFailure {
            Objects.requireNonNull(cause, "cause");
        }
    }
}
