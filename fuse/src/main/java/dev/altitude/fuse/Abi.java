package dev.altitude.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The FUSE kernel protocol's structures and numbers, from the kernel's {@code include/uapi/linux/fuse.h}
 * (protocol 7.42 here; the kernel of this machine speaks 7.45). Every structure bound is in {@link #STRUCTS}, and
 * {@code AbiLayoutTest} checks each field's offset and each size against {@code offsetof}/{@code sizeof} from a C
 * program built with the installed header.
 */
final class Abi {
    private Abi() {
    }

    static final int KERNEL_VERSION = 7;
    /** The minor version this front end speaks: the kernel uses the smaller of its own and this. */
    static final int KERNEL_MINOR_VERSION = 42;
    static final long ROOT_ID = 1;
    static final int MIN_READ_BUFFER = 8192;

    // opcodes
    static final int LOOKUP = 1, FORGET = 2, GETATTR = 3, SETATTR = 4, READLINK = 5, SYMLINK = 6, MKNOD = 8,
            MKDIR = 9, UNLINK = 10, RMDIR = 11, RENAME = 12, LINK = 13, OPEN = 14, READ = 15, WRITE = 16, STATFS = 17,
            RELEASE = 18, FSYNC = 20, SETXATTR = 21, GETXATTR = 22, LISTXATTR = 23, REMOVEXATTR = 24, FLUSH = 25,
            INIT = 26, OPENDIR = 27, READDIR = 28, RELEASEDIR = 29, FSYNCDIR = 30, GETLK = 31, SETLK = 32, SETLKW = 33,
            ACCESS = 34, CREATE = 35, INTERRUPT = 36, BMAP = 37, DESTROY = 38, IOCTL = 39, POLL = 40,
            BATCH_FORGET = 42, FALLOCATE = 43, READDIRPLUS = 44, RENAME2 = 45, LSEEK = 46, COPY_FILE_RANGE = 47,
            SYNCFS = 50, TMPFILE = 51, STATX = 52;

    // INIT flags (flags; bits 32..63 go to flags2)
    static final long ASYNC_READ = 1L << 0, POSIX_LOCKS = 1L << 1, ATOMIC_O_TRUNC = 1L << 3, EXPORT_SUPPORT = 1L << 4,
            BIG_WRITES = 1L << 5, DONT_MASK = 1L << 6, FLOCK_LOCKS = 1L << 10, AUTO_INVAL_DATA = 1L << 12,
            DO_READDIRPLUS = 1L << 13, READDIRPLUS_AUTO = 1L << 14, WRITEBACK_CACHE = 1L << 16, PARALLEL_DIROPS = 1L << 18,
            HANDLE_KILLPRIV = 1L << 19, POSIX_ACL = 1L << 20, MAX_PAGES = 1L << 22, CACHE_SYMLINKS = 1L << 23,
            HANDLE_KILLPRIV_V2 = 1L << 28, INIT_EXT = 1L << 30, DIRECT_IO_ALLOW_MMAP = 1L << 36, PASSTHROUGH = 1L << 37;

    // open reply flags
    static final int FOPEN_DIRECT_IO = 1, FOPEN_KEEP_CACHE = 1 << 1, FOPEN_NOFLUSH = 1 << 5, FOPEN_PASSTHROUGH = 1 << 7;

    // setattr valid bits
    static final int FATTR_MODE = 1, FATTR_UID = 1 << 1, FATTR_GID = 1 << 2, FATTR_SIZE = 1 << 3, FATTR_ATIME = 1 << 4,
            FATTR_MTIME = 1 << 5, FATTR_FH = 1 << 6, FATTR_ATIME_NOW = 1 << 7, FATTR_MTIME_NOW = 1 << 8;

    static final int FATTR_KILL_SUIDGID = 1 << 11;
    static final int WRITE_KILL_SUIDGID = 1 << 2;
    static final int OPEN_KILL_SUIDGID = 1;
    static final int GETATTR_FH = 1;
    static final int FSYNC_FDATASYNC = 1;
    /** {@code RENAME_NOREPLACE}, {@code RENAME_EXCHANGE}, {@code RENAME_WHITEOUT} of renameat2. */
    static final int RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2, RENAME_WHITEOUT = 4;

    private static MemoryLayout u32(String n) {
        return JAVA_INT.withName(n);
    }

    private static MemoryLayout u64(String n) {
        return JAVA_LONG.withName(n);
    }

    private static MemoryLayout u16(String n) {
        return JAVA_SHORT.withName(n);
    }

    private static StructLayout struct(String name, MemoryLayout... fields) {
        return MemoryLayout.structLayout(fields).withName(name);
    }

    static final StructLayout IN_HEADER = struct("fuse_in_header", u32("len"), u32("opcode"), u64("unique"),
            u64("nodeid"), u32("uid"), u32("gid"), u32("pid"), u16("total_extlen"), u16("padding"));
    static final StructLayout OUT_HEADER = struct("fuse_out_header", u32("len"), u32("error"), u64("unique"));
    static final StructLayout INIT_IN = struct("fuse_init_in", u32("major"), u32("minor"), u32("max_readahead"),
            u32("flags"), u32("flags2"), MemoryLayout.sequenceLayout(11, JAVA_INT).withName("unused"));
    static final StructLayout INIT_OUT = struct("fuse_init_out", u32("major"), u32("minor"), u32("max_readahead"),
            u32("flags"), u16("max_background"), u16("congestion_threshold"), u32("max_write"), u32("time_gran"),
            u16("max_pages"), u16("map_alignment"), u32("flags2"), u32("max_stack_depth"),
            MemoryLayout.sequenceLayout(6, JAVA_INT).withName("unused"));
    static final StructLayout ATTR = struct("fuse_attr", u64("ino"), u64("size"), u64("blocks"), u64("atime"),
            u64("mtime"), u64("ctime"), u32("atimensec"), u32("mtimensec"), u32("ctimensec"), u32("mode"), u32("nlink"),
            u32("uid"), u32("gid"), u32("rdev"), u32("blksize"), u32("flags"));
    static final StructLayout ENTRY_OUT = struct("fuse_entry_out", u64("nodeid"), u64("generation"),
            u64("entry_valid"), u64("attr_valid"), u32("entry_valid_nsec"), u32("attr_valid_nsec"),
            ATTR.withName("attr"));
    static final StructLayout ATTR_OUT = struct("fuse_attr_out", u64("attr_valid"), u32("attr_valid_nsec"),
            u32("dummy"), ATTR.withName("attr"));
    static final StructLayout GETATTR_IN = struct("fuse_getattr_in", u32("getattr_flags"), u32("dummy"), u64("fh"));
    static final StructLayout FORGET_IN = struct("fuse_forget_in", u64("nlookup"));
    static final StructLayout BATCH_FORGET_IN = struct("fuse_batch_forget_in", u32("count"), u32("dummy"));
    static final StructLayout FORGET_ONE = struct("fuse_forget_one", u64("nodeid"), u64("nlookup"));
    static final StructLayout OPEN_IN = struct("fuse_open_in", u32("flags"), u32("open_flags"));
    static final StructLayout OPEN_OUT = struct("fuse_open_out", u64("fh"), u32("open_flags"), u32("backing_id"));
    static final StructLayout CREATE_IN = struct("fuse_create_in", u32("flags"), u32("mode"), u32("umask"),
            u32("open_flags"));
    static final StructLayout MKNOD_IN = struct("fuse_mknod_in", u32("mode"), u32("rdev"), u32("umask"), u32("padding"));
    static final StructLayout MKDIR_IN = struct("fuse_mkdir_in", u32("mode"), u32("umask"));
    static final StructLayout RENAME2_IN = struct("fuse_rename2_in", u64("newdir"), u32("flags"), u32("padding"));
    static final StructLayout RENAME_IN = struct("fuse_rename_in", u64("newdir"));
    static final StructLayout LINK_IN = struct("fuse_link_in", u64("oldnodeid"));
    static final StructLayout SETATTR_IN = struct("fuse_setattr_in", u32("valid"), u32("padding"), u64("fh"),
            u64("size"), u64("lock_owner"), u64("atime"), u64("mtime"), u64("ctime"), u32("atimensec"),
            u32("mtimensec"), u32("ctimensec"), u32("mode"), u32("unused4"), u32("uid"), u32("gid"), u32("unused5"));
    static final StructLayout RELEASE_IN = struct("fuse_release_in", u64("fh"), u32("flags"), u32("release_flags"),
            u64("lock_owner"));
    static final StructLayout FLUSH_IN = struct("fuse_flush_in", u64("fh"), u32("unused"), u32("padding"),
            u64("lock_owner"));
    static final StructLayout READ_IN = struct("fuse_read_in", u64("fh"), u64("offset"), u32("size"),
            u32("read_flags"), u64("lock_owner"), u32("flags"), u32("padding"));
    static final StructLayout WRITE_IN = struct("fuse_write_in", u64("fh"), u64("offset"), u32("size"),
            u32("write_flags"), u64("lock_owner"), u32("flags"), u32("padding"));
    static final StructLayout WRITE_OUT = struct("fuse_write_out", u32("size"), u32("padding"));
    static final StructLayout KSTATFS = struct("fuse_kstatfs", u64("blocks"), u64("bfree"), u64("bavail"),
            u64("files"), u64("ffree"), u32("bsize"), u32("namelen"), u32("frsize"), u32("padding"),
            MemoryLayout.sequenceLayout(6, JAVA_INT).withName("spare"));
    static final StructLayout FSYNC_IN = struct("fuse_fsync_in", u64("fh"), u32("fsync_flags"), u32("padding"));
    static final StructLayout ACCESS_IN = struct("fuse_access_in", u32("mask"), u32("padding"));
    static final StructLayout GETXATTR_IN = struct("fuse_getxattr_in", u32("size"), u32("padding"));
    static final StructLayout GETXATTR_OUT = struct("fuse_getxattr_out", u32("size"), u32("padding"));
    static final StructLayout SETXATTR_IN = struct("fuse_setxattr_in", u32("size"), u32("flags"),
            u32("setxattr_flags"), u32("padding"));
    static final StructLayout INTERRUPT_IN = struct("fuse_interrupt_in", u64("unique"));
    static final StructLayout DIRENT = struct("fuse_dirent", u64("ino"), u64("off"), u32("namelen"), u32("type"));
    static final StructLayout NOTIFY_INVAL_INODE_OUT = struct("fuse_notify_inval_inode_out", u64("ino"), u64("off"),
            u64("len"));
    static final StructLayout NOTIFY_INVAL_ENTRY_OUT = struct("fuse_notify_inval_entry_out", u64("parent"), u32("namelen"),
            u32("flags"));
    /** {@code enum fuse_notify_code}: what a notification (a message with unique 0) says. */
    static final int NOTIFY_INVAL_INODE = 2, NOTIFY_INVAL_ENTRY = 3;
    static final StructLayout FALLOCATE_IN = struct("fuse_fallocate_in", u64("fh"), u64("offset"), u64("length"),
            u32("mode"), u32("padding"));
    static final StructLayout LSEEK_IN = struct("fuse_lseek_in", u64("fh"), u64("offset"), u32("whence"), u32("padding"));
    static final StructLayout LSEEK_OUT = struct("fuse_lseek_out", u64("offset"));

    /** Every structure bound, for the layout test. */
    static final StructLayout FILE_LOCK = struct("fuse_file_lock", u64("start"), u64("end"), u32("type"), u32("pid"));
    static final StructLayout LK_IN = struct("fuse_lk_in", u64("fh"), u64("owner"), FILE_LOCK.withName("lk"),
            u32("lk_flags"), u32("padding"));
    static final StructLayout LK_OUT = struct("fuse_lk_out", FILE_LOCK.withName("lk"));
    /** {@code fuse_lk_in.lk_flags}: the lock is a {@code flock(2)} one, not a POSIX record lock. */
    static final int LK_FLOCK = 1;
    /** {@code fuse_release_in.release_flags}: drop the {@code flock(2)} lock of the lock owner. */
    static final int RELEASE_FLOCK_UNLOCK = 2;
    /** {@code fuse_flush_in}/{@code fuse_release_in}: lock_owner is given. */
    static final int READ_LOCKOWNER = 2;

    // 7.39 (FUSE_STATX): newer than the installed header; AbiLayoutTest declares them as the kernel's uapi header does
    // and checks them the same way
    static final StructLayout SX_TIME = struct("fuse_sx_time", u64("tv_sec"), u32("tv_nsec"), u32("__reserved"));
    static final StructLayout FUSE_STATX = struct("fuse_statx", u32("mask"), u32("blksize"), u64("attributes"), u32("nlink"),
            u32("uid"), u32("gid"), u16("mode"), u16("__spare0"), u64("ino"), u64("size"), u64("blocks"),
            u64("attributes_mask"), SX_TIME.withName("atime"), SX_TIME.withName("btime"), SX_TIME.withName("ctime"),
            SX_TIME.withName("mtime"), u32("rdev_major"), u32("rdev_minor"), u32("dev_major"), u32("dev_minor"),
            MemoryLayout.sequenceLayout(14, JAVA_LONG).withName("__spare2"));
    static final StructLayout STATX_IN = struct("fuse_statx_in", u32("getattr_flags"), u32("reserved"), u64("fh"),
            u32("sx_flags"), u32("sx_mask"));
    static final StructLayout STATX_OUT = struct("fuse_statx_out", u64("attr_valid"), u32("attr_valid_nsec"), u32("flags"),
            MemoryLayout.sequenceLayout(2, JAVA_LONG).withName("spare"), FUSE_STATX.withName("stat"));
    static final List<StructLayout> NEWER_STRUCTS = List.of(SX_TIME, FUSE_STATX, STATX_IN, STATX_OUT);

    static final List<StructLayout> STRUCTS = List.of(IN_HEADER, OUT_HEADER, INIT_IN, INIT_OUT, ATTR, ENTRY_OUT,
            ATTR_OUT, GETATTR_IN, FORGET_IN, BATCH_FORGET_IN, FORGET_ONE, OPEN_IN, OPEN_OUT, CREATE_IN, MKNOD_IN,
            MKDIR_IN, RENAME2_IN, RENAME_IN, LINK_IN, SETATTR_IN, RELEASE_IN, FLUSH_IN, READ_IN, WRITE_IN, WRITE_OUT,
            KSTATFS, FSYNC_IN, ACCESS_IN, GETXATTR_IN, GETXATTR_OUT, SETXATTR_IN, INTERRUPT_IN, DIRENT, FALLOCATE_IN,
            LSEEK_IN, LSEEK_OUT, NOTIFY_INVAL_INODE_OUT, NOTIFY_INVAL_ENTRY_OUT, FILE_LOCK, LK_IN, LK_OUT);

    /**
     * Every field's offset, computed once: a request's handling asks for a dozen of them, and walking a layout for
     * each would be work on every request.
     */
    private static final Map<StructLayout, Map<String, Long>> OFFSETS = new IdentityHashMap<>();

    static {
        for (StructLayout s : java.util.stream.Stream.concat(STRUCTS.stream(), NEWER_STRUCTS.stream()).toList()) {
            Map<String, Long> fields = new HashMap<>();
            for (MemoryLayout f : s.memberLayouts()) {
                f.name().ifPresent(n -> fields.put(n, s.byteOffset(MemoryLayout.PathElement.groupElement(n))));
            }
            OFFSETS.put(s, fields);
        }
    }

    /** The offset of {@code field} in {@code s}, one of {@link #STRUCTS}. */
    static long off(StructLayout s, String field) {
        Long o = OFFSETS.get(s).get(field);
        if (o == null) {
            throw new IllegalArgumentException("no field " + field + " in " + s.name().orElse("?"));
        }
        return o;
    }

    /** {@code FUSE_DIRENT_ALIGN}: records are padded to 8 bytes. */
    static long align8(long n) {
        return (n + 7) & ~7L;
    }

    /** {@code _IOR(229, 0, uint32_t)}: clone a session onto a new descriptor. */
    static final long DEV_IOC_CLONE = ioc(2, 229, 0, 4);
    /**
     * {@code struct fuse_backing_map} (7.40): int32 fd, uint32 flags, uint64 padding. Not in the installed 7.38
     * header, so not in {@link #STRUCTS}: {@code PassthroughLayoutTest} checks it.
     */
    static final StructLayout BACKING_MAP = MemoryLayout.structLayout(JAVA_INT.withName("fd"), JAVA_INT.withName("flags"),
            JAVA_LONG.withName("padding")).withName("fuse_backing_map");
    /** {@code _IOW(229, 1, struct fuse_backing_map)}: a descriptor the kernel reads and writes an open file through. */
    static final long DEV_IOC_BACKING_OPEN = ioc(1, 229, 1, 16);
    /** {@code _IOW(229, 2, uint32_t)}: lets go of a backing id. */
    static final long DEV_IOC_BACKING_CLOSE = ioc(1, 229, 2, 4);

    /** {@code _IOC(dir, type, nr, size)} of x86-64: nr 0..7, type 8..15, size 16..29, dir 30..31 (1 write, 2 read). */
    static long ioc(int dir, int type, int nr, int size) {
        return ((long) dir << 30) | ((long) size << 16) | ((long) type << 8) | nr;
    }
}
