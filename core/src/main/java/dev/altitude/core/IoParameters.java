package dev.altitude.core;

import java.nio.ByteBuffer;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The typed parameters of one operation ({@code FLT_PARAMETERS}), one record per major function.
 * A filter that changes them replaces the record with {@link CallbackData#setParameters} (which marks the
 * callback data dirty, as {@code FltSetCallbackDataDirty} does).
 */
public sealed interface IoParameters {

    /** The major function of these parameters: the one table from parameter types to major functions. */
    default MajorFunction majorFunction() {
        return switch (this) {
            case Create _ -> MajorFunction.CREATE;
            case Read _ -> MajorFunction.READ;
            case Write _ -> MajorFunction.WRITE;
            case QueryInformation _ -> MajorFunction.QUERY_INFORMATION;
            case SetInformation _ -> MajorFunction.SET_INFORMATION;
            case DirectoryControl _ -> MajorFunction.DIRECTORY_CONTROL;
            case NotifyChangeDirectory _ -> MajorFunction.DIRECTORY_CONTROL;
            case FlushBuffers _ -> MajorFunction.FLUSH_BUFFERS;
            case QueryVolumeInformation _ -> MajorFunction.QUERY_VOLUME_INFORMATION;
            case QuerySecurity _ -> MajorFunction.QUERY_SECURITY;
            case SetSecurity _ -> MajorFunction.SET_SECURITY;
            case QueryEa _ -> MajorFunction.QUERY_EA;
            case SetEa _ -> MajorFunction.SET_EA;
            case LockControl _ -> MajorFunction.LOCK_CONTROL;
            case FileSystemControl _ -> MajorFunction.FILE_SYSTEM_CONTROL;
            case Cleanup _ -> MajorFunction.CLEANUP;
            case Close _ -> MajorFunction.CLOSE;
            case Shutdown _ -> MajorFunction.SHUTDOWN;
            case AcquireForSectionSynchronization _ -> MajorFunction.ACQUIRE_FOR_SECTION_SYNCHRONIZATION;
            case QueryOpen _ -> MajorFunction.QUERY_OPEN;
        };
    }

    /** How {@code CREATE} treats an existing or missing file ({@code FILE_SUPERSEDE} … {@code FILE_OVERWRITE_IF}). */
    enum CreateDisposition {
        SUPERSEDE, OPEN, CREATE, OPEN_IF, OVERWRITE, OVERWRITE_IF
    }

    /** What an open asks for (a readable form of the access mask). */
    enum Access {
        READ_DATA, WRITE_DATA, APPEND_DATA, READ_ATTRIBUTES, WRITE_ATTRIBUTES, DELETE, READ_CONTROL, WRITE_DAC,
        WRITE_OWNER, SYNCHRONIZE,
        /** {@code FILE_EXECUTE}: the open of a program to run it (a fanotify volume's exec check). */
        EXECUTE
    }

    /** Create options ({@code FILE_DIRECTORY_FILE}, {@code FILE_DELETE_ON_CLOSE}, …). */
    enum CreateOption {
        DIRECTORY_FILE, NON_DIRECTORY_FILE, WRITE_THROUGH, SEQUENTIAL_ONLY, RANDOM_ACCESS, DELETE_ON_CLOSE,
        OPEN_REPARSE_POINT, NO_INTERMEDIATE_BUFFERING, SYNC_DATA_ONLY
    }

    /**
     * What an entry is: a file, a directory, a symbolic link, a FIFO, a socket, a device; {@code HARD_LINK} is a
     * create's second name for an existing file (never an attribute's kind).
     */
    enum FileKind {
        FILE, DIRECTORY, SYMBOLIC_LINK, HARD_LINK, FIFO, SOCKET, CHARACTER_DEVICE, BLOCK_DEVICE;

        /** Neither a file, a directory nor a link ({@code BasicFileAttributes.isOther}). */
        public boolean isOther() {
            return this == FIFO || this == SOCKET || this == CHARACTER_DEVICE || this == BLOCK_DEVICE;
        }

        /**
         * The kind of a POSIX {@code st_mode} (its {@code S_IFMT} bits); a regular file for the bits of none of the
         * others.
         */
        public static FileKind ofPosixMode(int mode) {
            return switch (mode & 0170000) {
                case 0040000 -> DIRECTORY;
                case 0120000 -> SYMBOLIC_LINK;
                case 0010000 -> FIFO;
                case 0140000 -> SOCKET;
                case 0020000 -> CHARACTER_DEVICE;
                case 0060000 -> BLOCK_DEVICE;
                default -> FILE;
            };
        }

        /** The POSIX file type bits ({@code S_IFMT} of {@code st_mode}); a hard link's are a file's. */
        public int posixType() {
            return switch (this) {
                case FILE, HARD_LINK -> 0100000;
                case DIRECTORY -> 0040000;
                case SYMBOLIC_LINK -> 0120000;
                case FIFO -> 0010000;
                case SOCKET -> 0140000;
                case CHARACTER_DEVICE -> 0020000;
                case BLOCK_DEVICE -> 0060000;
            };
        }
    }

    /**
     * {@code IRP_MJ_CREATE}: open or create the file object's path; {@code linkTarget} is a link's target or a
     * hard link's existing file, {@code mode} a new entry's mode bits (null: the file system's default),
     * {@code device} a new device's number ({@code st_rdev}; 0 for anything else). {@code umask} is the creator's
     * file mode creation mask (POSIX): a new entry gets {@code mode} without those bits, unless its directory has a
     * default ACL, which then decides in their place (POSIX.1e); 0 when the front end applied it already or has none.
     */
    record Create(Set<Access> access, CreateDisposition disposition, Set<CreateOption> options, FileKind kind,
                  String linkTarget, FileMode mode, long device, int umask) implements IoParameters {
        public Create {
            access = Set.copyOf(access);
            options = Set.copyOf(options);
            Objects.requireNonNull(disposition, "disposition");
            Objects.requireNonNull(kind, "kind");
            if ((umask & ~0777) != 0) {
                throw new IllegalArgumentException("a umask has only permission bits: " + Integer.toOctalString(umask));
            }
        }

        /** No umask left to apply. */
        public Create(Set<Access> access, CreateDisposition disposition, Set<CreateOption> options, FileKind kind,
                      String linkTarget, FileMode mode, long device) {
            this(access, disposition, options, kind, linkTarget, mode, device, 0);
        }

        /** Anything but a device. */
        public Create(Set<Access> access, CreateDisposition disposition, Set<CreateOption> options, FileKind kind,
                      String linkTarget, FileMode mode) {
            this(access, disposition, options, kind, linkTarget, mode, 0, 0);
        }

        public static Create open(Set<Access> access) {
            return new Create(access, CreateDisposition.OPEN, Set.of(), FileKind.FILE, null, null);
        }
    }

    /**
     * How a read or write reached the file system ({@code IRP_NOCACHE}, {@code IRP_PAGING_IO}): a caller's I/O the
     * cache serves, a caller's I/O that goes past any cache, or a cache filling or flushing its pages.
     */
    enum IoPath {
        CACHED, NON_CACHED, PAGING
    }

    /**
     * {@code IRP_MJ_READ}: read into {@code buffer} (from its position to its limit) at {@code offset}; {@code path}
     * says how it came ({@link IoPath#NON_CACHED} from a front end without a cache of its own).
     */
    record Read(long offset, ByteBuffer buffer, IoPath path) implements IoParameters {
        public Read {
            Objects.requireNonNull(path, "path");
        }

        public Read(long offset, ByteBuffer buffer) {
            this(offset, buffer, IoPath.NON_CACHED);
        }
    }

    /** {@code IRP_MJ_WRITE}: write {@code buffer} (position to limit) at {@code offset}; -1 appends. */
    record Write(long offset, ByteBuffer buffer, IoPath path) implements IoParameters {
        public static final long APPEND = -1;

        public Write {
            Objects.requireNonNull(path, "path");
        }

        public Write(long offset, ByteBuffer buffer) {
            this(offset, buffer, IoPath.NON_CACHED);
        }
    }

    /**
     * {@code IRP_MJ_QUERY_INFORMATION}. The result by class: {@link IoResult.FileAttributes} for
     * {@code FileBasicInformation}, {@code FileNetworkOpenInformation}, {@code FilePosixInformation} and
     * {@code FileAllInformation} (only this one names the owner and group); {@link IoResult.StandardInformation}
     * for {@code FileStandardInformation}; {@link IoResult.NormalizedName} for {@code FileNormalizedNameInformation};
     * {@link IoResult.AccessInformation} for {@code FileAccessInformation}.
     */
    record QueryInformation(FileInformationClass informationClass) implements IoParameters {
        public QueryInformation {
            Objects.requireNonNull(informationClass, "informationClass");
        }
    }

    /**
     * {@code IRP_MJ_SET_INFORMATION}: {@code information} is what is set, of a kind that fits the class
     * ({@link FileInformation#informationClasses()}).
     */
    record SetInformation(FileInformationClass informationClass, FileInformation information) implements IoParameters {
        public SetInformation {
            Objects.requireNonNull(informationClass, "informationClass");
            Objects.requireNonNull(information, "information");
            if (!information.informationClasses().contains(informationClass)) {
                throw new IllegalArgumentException(information + " is not " + informationClass);
            }
        }

        /** With the information's usual class ({@code FileRenameInformation} for a rename, …). */
        public SetInformation(FileInformation information) {
            this(information.informationClasses().getFirst(), information);
        }
    }

    /** What {@link SetInformation} sets. */
    /**
     * What a rename does beyond Windows' move (POSIX {@code renameat2} flags, given with
     * {@code FileRenameInformationEx}): {@code EXCHANGE} swaps the two names atomically (both must exist);
     * {@code WHITEOUT} leaves a whiteout (an overlay file system's deletion mark) at the old name.
     */
    enum RenameKind {
        MOVE, EXCHANGE, WHITEOUT
    }

    /** What an {@link FileInformation.Allocation} does to its range. */
    enum AllocationKind {
        ALLOCATE, PUNCH_HOLE, ZERO_RANGE
    }

    sealed interface FileInformation {
        /** The information classes this kind of information is given with, the usual one first. */
        List<FileInformationClass> informationClasses();

        /** {@code FileEndOfFileInformation} (or {@code FileAllocationInformation}): the new size. */
        record EndOfFile(long size) implements FileInformation {
            @Override
            public List<FileInformationClass> informationClasses() {
                return List.of(FileInformationClass.FileEndOfFileInformation, FileInformationClass.FileAllocationInformation);
            }
        }

        /**
         * {@code FileAllocationInformation} given as a range, as POSIX {@code fallocate} does: reserve the blocks of
         * {@code [offset, offset + length)} ({@code ALLOCATE}, the size growing to its end unless {@code keepSize}),
         * free them ({@code PUNCH_HOLE}, the size kept: the range reads as zeros), or zero them in place
         * ({@code ZERO_RANGE}).
         */
        record Allocation(long offset, long length, AllocationKind kind, boolean keepSize) implements FileInformation {
            public Allocation {
                Objects.requireNonNull(kind, "kind");
                if (offset < 0 || length <= 0) {
                    throw new IllegalArgumentException("allocation of " + length + " bytes at " + offset);
                }
            }

            @Override
            public List<FileInformationClass> informationClasses() {
                return List.of(FileInformationClass.FileAllocationInformation);
            }
        }

        /** {@code FileDispositionInformation}: delete the file (here: at once). */
        record Disposition(boolean deleteFile) implements FileInformation {
            @Override
            public List<FileInformationClass> informationClasses() {
                return List.of(FileInformationClass.FileDispositionInformation,
                        FileInformationClass.FileDispositionInformationEx);
            }
        }

        /**
         * {@code FileRenameInformation}: the new name as a volume path; with {@code FileRenameInformationEx} the
         * rename is atomic or fails.
         */
        record Rename(String target, boolean replaceIfExists, RenameKind kind) implements FileInformation {
            public Rename {
                Objects.requireNonNull(target, "target");
                Objects.requireNonNull(kind, "kind");
            }

            public Rename(String target, boolean replaceIfExists) {
                this(target, replaceIfExists, RenameKind.MOVE);
            }

            /** A plain move is either class; an exchange or a whiteout is {@code FileRenameInformationEx} only. */
            @Override
            public List<FileInformationClass> informationClasses() {
                return kind == RenameKind.MOVE
                        ? List.of(FileInformationClass.FileRenameInformation, FileInformationClass.FileRenameInformationEx)
                        : List.of(FileInformationClass.FileRenameInformationEx);
            }
        }

        /** {@code FileBasicInformation}: the times to set; a null time is left as it is. */
        record Basic(FileTime creationTime, FileTime lastAccessTime, FileTime lastWriteTime, FileTime changeTime)
                implements FileInformation {
            public static Basic lastWrite(FileTime time) {
                return new Basic(null, null, time, null);
            }

            public static Basic lastAccess(FileTime time) {
                return new Basic(null, time, null, null);
            }

            @Override
            public List<FileInformationClass> informationClasses() {
                return List.of(FileInformationClass.FileBasicInformation);
            }
        }
    }

    /**
     * {@code IRP_MJ_DIRECTORY_CONTROL} (query directory) with an optional glob pattern. {@code withAttributes}: each
     * entry carries its file's attributes, as Windows' {@code FileIdFullDirectoryInformation} does and as FUSE's
     * READDIRPLUS wants (a filter that changes what a query of a file's attributes gives must change these too);
     * otherwise names and kinds, as {@code FileNamesInformation}.
     */
    record DirectoryControl(String pattern, boolean withAttributes) implements IoParameters {
        /** Names and kinds only. */
        public DirectoryControl(String pattern) {
            this(pattern, false);
        }
    }

    /** What a change notification reports: a name added to, removed from, or modified in the directory. */
    enum ChangeAction {
        /** {@code FILE_ACTION_ADDED}. */
        ADDED,
        /** {@code FILE_ACTION_REMOVED}. */
        REMOVED,
        /** {@code FILE_ACTION_MODIFIED}. */
        MODIFIED
    }

    /**
     * {@code IRP_MJ_DIRECTORY_CONTROL} with the minor function {@code IRP_MN_NOTIFY_CHANGE_DIRECTORY}, on an open
     * directory: the changes of the kinds in {@code actions} (Windows' completion filter) since the last one. The
     * first on a handle arms the watch and completes with no changes; each later one completes with an
     * {@link IoResult.DirectoryChanges} batch, which the post-operations see on its way up (a filter that hides a
     * name from listings hides it here too), or with {@link NtStatus#NOTIFY_ENUM_DIR} when changes were lost, or
     * {@link NtStatus#NOTIFY_CLEANUP} once the watch has ended (the directory was removed or its handle closed).
     * A directory query ({@link DirectoryControl}) is the other minor function of the same major function.
     */
    record NotifyChangeDirectory(Set<ChangeAction> actions) implements IoParameters {
        public NotifyChangeDirectory {
            actions = Set.copyOf(actions);
            if (actions.isEmpty()) {
                throw new IllegalArgumentException("a change notification asks for at least one kind of change");
            }
        }
    }

    /** {@code IRP_MJ_FLUSH_BUFFERS}; {@code dataOnly} as {@code fdatasync}. */
    record FlushBuffers(boolean dataOnly) implements IoParameters {
    }

    /** The {@code FS_INFORMATION_CLASS} values; each gives an {@link IoResult.VolumeInformation}. */
    enum FsInformationClass {
        FileFsVolumeInformation, FileFsSizeInformation, FileFsAttributeInformation, FileFsFullSizeInformation
    }

    /** {@code IRP_MJ_QUERY_VOLUME_INFORMATION}. */
    record QueryVolumeInformation(FsInformationClass informationClass) implements IoParameters {
        public QueryVolumeInformation {
            Objects.requireNonNull(informationClass, "informationClass");
        }
    }

    /** {@code IRP_MJ_QUERY_SECURITY}: gives an {@link IoResult.Security}. */
    record QuerySecurity() implements IoParameters {
    }

    /** {@code IRP_MJ_SET_SECURITY}: new mode bits, owner or group; what is null is left as it is. */
    record SetSecurity(FileMode mode, Principal owner, Principal group) implements IoParameters {
        public SetSecurity {
            if (mode == null && owner == null && group == null) {
                throw new IllegalArgumentException("a security change sets a mode, an owner or a group");
            }
        }

        public static SetSecurity mode(FileMode mode) {
            return new SetSecurity(Objects.requireNonNull(mode, "mode"), null, null);
        }

        /** A change of owner, group or both; null leaves it. */
        public static SetSecurity chown(Principal owner, Principal group) {
            return new SetSecurity(null, owner, group);
        }
    }

    /**
     * The namespace of an extended attribute. Windows has one; Linux has four, and a filter must be able to tell
     * {@code user.comment} from {@code security.capability} (which gives an executable privileges) or
     * {@code system.posix_acl_access} (an access control list). {@link #USER} is what every front end without
     * namespaces (NIO's user-defined attributes) means.
     */
    enum EaNamespace {
        USER("user."), TRUSTED("trusted."), SECURITY("security."), SYSTEM("system.");

        private final String prefix;

        EaNamespace(String prefix) {
            this.prefix = prefix;
        }

        /** The prefix Linux gives the names of this namespace, with its dot. */
        public String prefix() {
            return prefix;
        }

        /** The namespace of a Linux attribute name ({@code "security.selinux"}); null if it names none of the four. */
        public static EaNamespace of(String linuxName) {
            for (EaNamespace n : values()) {
                if (linuxName.startsWith(n.prefix) && linuxName.length() > n.prefix.length()) {
                    return n;
                }
            }
            return null;
        }
    }

    /**
     * {@code IRP_MJ_QUERY_EA}: one name of {@code namespace}, or (null {@code name}) the names of {@code namespace}
     * without its prefix, or (both null) every name the backend has, each with its Linux prefix.
     */
    record QueryEa(EaNamespace namespace, String name) implements IoParameters {
        public QueryEa {
            if (namespace == null && name != null) {
                throw new IllegalArgumentException("a name needs its namespace");
            }
        }

        /** One name (or every name, null) of the user namespace. */
        public QueryEa(String name) {
            this(EaNamespace.USER, name);
        }
    }

    /** {@code IRP_MJ_SET_EA}: set {@code name} of {@code namespace} to {@code value}, or remove it when {@code value} is null. */
    record SetEa(EaNamespace namespace, String name, byte[] value) implements IoParameters {
        public SetEa {
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(name, "name");
        }

        /** A name of the user namespace. */
        public SetEa(String name, byte[] value) {
            this(EaNamespace.USER, name, value);
        }
    }

    /**
     * {@code IRP_MJ_LOCK_CONTROL}: lock or unlock a byte range; {@code failImmediately} as
     * {@code SL_FAIL_IMMEDIATELY} (a lock that cannot be had at once fails with {@code STATUS_LOCK_NOT_GRANTED}).
     * {@code test} asks what POSIX's {@code F_GETLK} asks (Windows has no such request): would the lock be granted
     * now? Nothing is locked or unlocked; the result is an {@link IoResult.LockConflict} naming a lock in the way, or
     * none when it would be granted. {@code wholeFile} is a BSD {@code flock(2)} lock (Windows has none either): of
     * the whole file, held by the open file, and apart from byte-range locks (Linux keeps the two kinds from
     * conflicting with each other).
     */
    record LockControl(long offset, long length, boolean shared, boolean lock, boolean failImmediately, boolean test,
                       boolean wholeFile) implements IoParameters {
        public LockControl {
            if (test && !lock) {
                throw new IllegalArgumentException("a test is of a lock");
            }
            if (wholeFile && (test || offset != 0 || length != Long.MAX_VALUE)) {
                throw new IllegalArgumentException("a whole-file lock is of the whole file, and not tested");
            }
        }

        public LockControl(long offset, long length, boolean shared, boolean lock, boolean failImmediately) {
            this(offset, length, shared, lock, failImmediately, false, false);
        }

        public LockControl(long offset, long length, boolean shared, boolean lock) {
            this(offset, length, shared, lock, false, false, false);
        }

        /** {@code F_GETLK}: would a lock of the range be granted now? */
        public static LockControl test(long offset, long length, boolean shared) {
            return new LockControl(offset, length, shared, true, true, true, false);
        }

        /** {@code flock(2)}: a shared or exclusive lock of the whole file, or ({@code lock} false) its unlock. */
        public static LockControl wholeFile(boolean shared, boolean lock, boolean failImmediately) {
            return new LockControl(0, Long.MAX_VALUE, shared, lock, failImmediately, false, true);
        }
    }

    /**
     * {@code IRP_MJ_FILE_SYSTEM_CONTROL}: a control code with its typed input ({@link FsControl}). {@code
     * FSCTL_GET_REPARSE_POINT} of a symbolic link gives its {@link IoResult.ReparsePoint}; {@code
     * FSCTL_QUERY_ALLOCATED_RANGES} an {@link IoResult.Offset}.
     */
    record FileSystemControl(FsControl control) implements IoParameters {
        /** {@code FSCTL_GET_REPARSE_POINT}. */
        public static final int GET_REPARSE_POINT = 0x000900A8;
        /** {@code FSCTL_QUERY_ALLOCATED_RANGES}. */
        public static final int QUERY_ALLOCATED_RANGES = 0x000940CF;

        public FileSystemControl {
            Objects.requireNonNull(control, "control");
        }

        /** The {@code FSCTL_*} code. */
        public int controlCode() {
            return control.code();
        }

        public static FileSystemControl getReparsePoint() {
            return new FileSystemControl(new FsControl.GetReparsePoint());
        }

        public static FileSystemControl queryAllocatedRanges(long offset, boolean hole) {
            return new FileSystemControl(new FsControl.QueryAllocatedRanges(offset, hole));
        }
    }

    /** What a {@link FileSystemControl} asks, by control code. */
    sealed interface FsControl {
        int code();

        /** {@code FSCTL_GET_REPARSE_POINT}: a symbolic link's target. */
        record GetReparsePoint() implements FsControl {
            @Override
            public int code() {
                return FileSystemControl.GET_REPARSE_POINT;
            }
        }

        /**
         * {@code FSCTL_QUERY_ALLOCATED_RANGES} as POSIX {@code lseek} asks it: the first offset at or after
         * {@code offset} that holds data ({@code hole} false, {@code SEEK_DATA}) or that is a hole ({@code hole} true,
         * {@code SEEK_HOLE}; the end of the file counts as one); none there: {@code STATUS_END_OF_FILE}.
         */
        record QueryAllocatedRanges(long offset, boolean hole) implements FsControl {
            @Override
            public int code() {
                return FileSystemControl.QUERY_ALLOCATED_RANGES;
            }
        }
    }

    /** {@code IRP_MJ_CLEANUP}: the last handle to the file object closed. */
    record Cleanup() implements IoParameters {
    }

    /** {@code IRP_MJ_CLOSE}: the file object goes away. */
    record Close() implements IoParameters {
    }

    /** {@code IRP_MJ_SHUTDOWN}: presented to filters when the filter manager closes (decision 10). */
    record Shutdown() implements IoParameters {
    }

    /** The protection a mapping asks for ({@code PAGE_READONLY}, {@code PAGE_READWRITE}, {@code PAGE_WRITECOPY}). */
    enum PageProtection {
        READONLY, READWRITE, WRITECOPY
    }

    /**
     * {@code IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION}: a mapping of {@code size} bytes from {@code offset} of the
     * open file is about to be made. A filter that must see every byte read (an on-access scanner that has not scanned
     * the file yet) refuses it in its pre-operation, as on Windows (with {@code STATUS_ACCESS_DENIED}, say); once made,
     * the mapping's pages are paging I/O, which reach no filter.
     */
    record AcquireForSectionSynchronization(PageProtection protection, long offset, long size) implements IoParameters {
        public AcquireForSectionSynchronization {
            Objects.requireNonNull(protection, "protection");
            if (offset < 0 || size < 0) {
                throw new IllegalArgumentException("negative offset or size");
            }
        }
    }

    /**
     * {@code IRP_MJ_QUERY_OPEN}: the information {@code informationClass} of the file the file object names, asked for
     * by name with no handle opened (the file object is never the target of a CREATE, so it has no stream and no
     * stream contexts, as in a pre-create). {@code openReparsePoint}: of a symbolic link itself, not its target
     * ({@code FILE_OPEN_REPARSE_POINT}). Completed with the same {@link IoResult} a {@link QueryInformation} of that
     * class gives; a missing file is {@link NtStatus#OBJECT_NAME_NOT_FOUND}. The classes asked for are those of
     * Windows' query by name: {@code FileBasicInformation}, {@code FileStandardInformation},
     * {@code FileAllInformation} (with the owner's and group's names) and {@code FileAccessInformation}.
     */
    record QueryOpen(FileInformationClass informationClass, boolean openReparsePoint) implements IoParameters {
        public QueryOpen {
            Objects.requireNonNull(informationClass, "informationClass");
            switch (informationClass) {
                case FileBasicInformation, FileStandardInformation, FileAllInformation, FileAccessInformation -> { }
                default -> throw new IllegalArgumentException(informationClass + " is not asked for by name");
            }
        }
    }
}
