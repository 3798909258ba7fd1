package dev.altitude.core;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The typed parameters of one operation ({@code FLT_PARAMETERS}), one record per major function.
 * A filter that changes them replaces the record with {@link CallbackData#setParameters} (which marks the
 * callback data dirty, as {@code FltSetCallbackDataDirty} does).
 */
public sealed interface IoParameters {

    MajorFunction majorFunction();

    /** How {@code CREATE} treats an existing or missing file ({@code FILE_SUPERSEDE} … {@code FILE_OVERWRITE_IF}). */
    enum CreateDisposition {
        SUPERSEDE, OPEN, CREATE, OPEN_IF, OVERWRITE, OVERWRITE_IF
    }

    /** What an open asks for (a readable form of the access mask). */
    enum Access {
        READ_DATA, WRITE_DATA, APPEND_DATA, READ_ATTRIBUTES, WRITE_ATTRIBUTES, DELETE, READ_CONTROL, WRITE_DAC,
        WRITE_OWNER, SYNCHRONIZE
    }

    /** Create options ({@code FILE_DIRECTORY_FILE}, {@code FILE_DELETE_ON_CLOSE}, …). */
    enum CreateOption {
        DIRECTORY_FILE, NON_DIRECTORY_FILE, WRITE_THROUGH, SEQUENTIAL_ONLY, RANDOM_ACCESS, DELETE_ON_CLOSE,
        OPEN_REPARSE_POINT, NO_INTERMEDIATE_BUFFERING, SYNC_DATA_ONLY
    }

    /** What a created entry is: a file, a directory, a symbolic or a hard link. */
    enum FileKind {
        FILE, DIRECTORY, SYMBOLIC_LINK, HARD_LINK
    }

    /** {@code IRP_MJ_CREATE}: open or create the file object's path. */
    record Create(Set<Access> access, CreateDisposition disposition, Set<CreateOption> options, FileKind kind,
                  String linkTarget, Object initialAttributes) implements IoParameters {
        public Create {
            access = Set.copyOf(access);
            options = Set.copyOf(options);
            Objects.requireNonNull(disposition, "disposition");
            Objects.requireNonNull(kind, "kind");
        }

        public static Create open(Set<Access> access) {
            return new Create(access, CreateDisposition.OPEN, Set.of(), FileKind.FILE, null, null);
        }

        @Override
        public MajorFunction majorFunction() {
            return MajorFunction.CREATE;
        }
    }

    /** {@code IRP_MJ_READ}: read into {@code buffer} (from its position to its limit) at {@code offset}. */
    record Read(long offset, ByteBuffer buffer) implements IoParameters {
        @Override
        public MajorFunction majorFunction() {
            return MajorFunction.READ;
        }
    }

    /** {@code IRP_MJ_WRITE}: write {@code buffer} (position to limit) at {@code offset}; -1 appends. */
    record Write(long offset, ByteBuffer buffer) implements IoParameters {
        public static final long APPEND = -1;

        @Override
        public MajorFunction majorFunction() {
            return MajorFunction.WRITE;
        }
    }

    /**
     * {@code IRP_MJ_QUERY_INFORMATION}; {@code query} says more where a front end needs it (the NIO front
     * end passes the attribute view or class asked for; null otherwise).
     */
    record QueryInformation(FileInformationClass informationClass, Object query) implements IoParameters {
        public QueryInformation(FileInformationClass informationClass) {
            this(informationClass, null);
        }

        @Override
        public MajorFunction majorFunction() {
            return MajorFunction.QUERY_INFORMATION;
        }
    }

    /**
     * {@code IRP_MJ_SET_INFORMATION}: rename and link take a target path, end-of-file a size, disposition a
     * boolean, basic information a times/attributes object the front end defines.
     */
    record SetInformation(FileInformationClass informationClass, Object information, boolean replaceIfExists)
            implements IoParameters {
        @Override
        public MajorFunction majorFunction() {
            return MajorFunction.SET_INFORMATION;
        }
    }

    /** {@code IRP_MJ_DIRECTORY_CONTROL} (query directory) with an optional glob pattern. */
    record DirectoryControl(String pattern) implements IoParameters {
        @Override
        public MajorFunction majorFunction() {
            return MajorFunction.DIRECTORY_CONTROL;
        }
    }

    /** {@code IRP_MJ_FLUSH_BUFFERS}; {@code dataOnly} as {@code fdatasync}. */
    record FlushBuffers(boolean dataOnly) implements IoParameters {
        @Override
        public MajorFunction majorFunction() {
            return MajorFunction.FLUSH_BUFFERS;
        }
    }

    /** {@code IRP_MJ_QUERY_VOLUME_INFORMATION} ({@code FileFsSizeInformation} and the like). */
    record QueryVolumeInformation(String informationClass) implements IoParameters {
        @Override
        public MajorFunction majorFunction() {
            return MajorFunction.QUERY_VOLUME_INFORMATION;
        }
    }

    /** {@code IRP_MJ_QUERY_SECURITY}. */
    record QuerySecurity() implements IoParameters {
        @Override
        public MajorFunction majorFunction() {
            return MajorFunction.QUERY_SECURITY;
        }
    }

    /** {@code IRP_MJ_SET_SECURITY}: owner, group and permissions as the front end defines them. */
    record SetSecurity(Object security) implements IoParameters {
        @Override
        public MajorFunction majorFunction() {
            return MajorFunction.SET_SECURITY;
        }
    }

    /** {@code IRP_MJ_QUERY_EA}: one name, or every name when {@code name} is null. */
    record QueryEa(String name) implements IoParameters {
        @Override
        public MajorFunction majorFunction() {
            return MajorFunction.QUERY_EA;
        }
    }

    /** {@code IRP_MJ_SET_EA}: set {@code name} to {@code value}, or remove it when {@code value} is null. */
    record SetEa(String name, byte[] value) implements IoParameters {
        @Override
        public MajorFunction majorFunction() {
            return MajorFunction.SET_EA;
        }
    }

    /**
     * {@code IRP_MJ_LOCK_CONTROL}: lock or unlock a byte range; {@code failImmediately} as
     * {@code SL_FAIL_IMMEDIATELY} (a lock that cannot be had at once fails with {@code STATUS_LOCK_NOT_GRANTED}).
     */
    record LockControl(long offset, long length, boolean shared, boolean lock, boolean failImmediately)
            implements IoParameters {
        public LockControl(long offset, long length, boolean shared, boolean lock) {
            this(offset, length, shared, lock, false);
        }

        @Override
        public MajorFunction majorFunction() {
            return MajorFunction.LOCK_CONTROL;
        }
    }

    /** {@code IRP_MJ_FILE_SYSTEM_CONTROL} with a control code and optional input. */
    record FileSystemControl(int controlCode, byte[] input) implements IoParameters {
        @Override
        public MajorFunction majorFunction() {
            return MajorFunction.FILE_SYSTEM_CONTROL;
        }
    }

    /** {@code IRP_MJ_CLEANUP}: the last handle to the file object closed. */
    record Cleanup() implements IoParameters {
        @Override
        public MajorFunction majorFunction() {
            return MajorFunction.CLEANUP;
        }
    }

    /** {@code IRP_MJ_CLOSE}: the file object goes away. */
    record Close() implements IoParameters {
        @Override
        public MajorFunction majorFunction() {
            return MajorFunction.CLOSE;
        }
    }

    /** {@code IRP_MJ_SHUTDOWN}: presented to filters when the filter manager closes (decision 10). */
    record Shutdown() implements IoParameters {
        @Override
        public MajorFunction majorFunction() {
            return MajorFunction.SHUTDOWN;
        }
    }

    /** A directory entry returned by {@link DirectoryControl}. */
    record DirectoryEntry(String name, FileKind kind, long size) {
    }

    /** The result of a directory query. */
    record DirectoryListing(List<DirectoryEntry> entries) {
        public DirectoryListing {
            entries = List.copyOf(entries);
        }
    }
}
