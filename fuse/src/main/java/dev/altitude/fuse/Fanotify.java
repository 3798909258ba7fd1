package dev.altitude.fuse;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The fanotify protocol's facts, from the kernel's {@code include/uapi/linux/fanotify.h} (6.14 and later for the
 * pre-content event and the range record; Debian 12's installed header is older): the flags, the event and response
 * structures, and the reading of one buffer of events. {@code FanotifyLayoutTest} checks every structure against C's
 * {@code offsetof} and {@code sizeof}.
 */
final class Fanotify {
    private Fanotify() {
    }

    // fanotify_init flags
    static final int FAN_CLOEXEC = 0x1;
    static final int FAN_NONBLOCK = 0x2;
    static final int FAN_CLASS_NOTIF = 0x0;
    static final int FAN_CLASS_CONTENT = 0x4;
    static final int FAN_CLASS_PRE_CONTENT = 0x8;
    static final int FAN_REPORT_FID = 0x200;
    static final int FAN_REPORT_DIR_FID = 0x400;
    static final int FAN_REPORT_NAME = 0x800;
    static final int FAN_REPORT_TARGET_FID = 0x1000;

    // fanotify_mark flags
    static final int FAN_MARK_ADD = 0x1;
    static final int FAN_MARK_MOUNT = 0x10;
    static final int FAN_MARK_FILESYSTEM = 0x100;

    // events
    static final long FAN_ACCESS = 0x1;
    static final long FAN_MODIFY = 0x2;
    static final long FAN_ATTRIB = 0x4;
    static final long FAN_CLOSE_WRITE = 0x8;
    static final long FAN_CREATE = 0x100;
    static final long FAN_DELETE = 0x200;
    static final long FAN_Q_OVERFLOW = 0x4000;
    static final long FAN_OPEN_PERM = 0x10000;
    static final long FAN_ACCESS_PERM = 0x20000;
    static final long FAN_OPEN_EXEC_PERM = 0x40000;
    static final long FAN_PRE_ACCESS = 0x100000;
    static final long FAN_RENAME = 0x10000000;
    static final long FAN_ONDIR = 0x40000000;

    // responses
    static final int FAN_ALLOW = 0x1;
    static final int FAN_DENY = 0x2;
    static final int FAN_ERRNO_SHIFT = 24;
    static final int FAN_NOFD = -1;

    // information records
    static final int FAN_EVENT_INFO_TYPE_FID = 1;
    static final int FAN_EVENT_INFO_TYPE_DFID_NAME = 2;
    static final int FAN_EVENT_INFO_TYPE_DFID = 3;
    static final int FAN_EVENT_INFO_TYPE_RANGE = 6;
    static final int FAN_EVENT_INFO_TYPE_OLD_DFID_NAME = 10;
    static final int FAN_EVENT_INFO_TYPE_NEW_DFID_NAME = 12;

    static final int FANOTIFY_METADATA_VERSION = 3;

    /** {@code struct fanotify_event_metadata}. */
    static final StructLayout EVENT_METADATA = MemoryLayout.structLayout(JAVA_INT.withName("event_len"),
            JAVA_BYTE.withName("vers"), JAVA_BYTE.withName("reserved"), JAVA_SHORT.withName("metadata_len"),
            JAVA_LONG.withName("mask"), JAVA_INT.withName("fd"), JAVA_INT.withName("pid"));
    /** {@code struct fanotify_response}. */
    static final StructLayout RESPONSE = MemoryLayout.structLayout(JAVA_INT.withName("fd"), JAVA_INT.withName("response"));
    /** {@code struct fanotify_event_info_header}. */
    static final StructLayout INFO_HEADER = MemoryLayout.structLayout(JAVA_BYTE.withName("info_type"),
            JAVA_BYTE.withName("pad"), JAVA_SHORT.withName("len"));
    /** {@code struct fanotify_event_info_fid} up to its handle: the header and the file system id. */
    static final StructLayout INFO_FID = MemoryLayout.structLayout(INFO_HEADER.withName("hdr"),
            MemoryLayout.sequenceLayout(2, JAVA_INT).withName("fsid"));
    /** {@code struct fanotify_event_info_range} (the pre-content event's range). */
    static final StructLayout INFO_RANGE = MemoryLayout.structLayout(INFO_HEADER.withName("hdr"), JAVA_INT.withName("pad"),
            JAVA_LONG.withName("offset"), JAVA_LONG.withName("count"));
    /** {@code struct file_handle} up to its bytes. */
    static final StructLayout FILE_HANDLE = MemoryLayout.structLayout(JAVA_INT.withName("handle_bytes"),
            JAVA_INT.withName("handle_type"));

    private static final ValueLayout.OfInt INT = JAVA_INT.withByteAlignment(1);
    private static final ValueLayout.OfLong LONG = JAVA_LONG.withByteAlignment(1);
    private static final ValueLayout.OfShort SHORT = JAVA_SHORT.withByteAlignment(1);

    /** A directory's file handle and, for an entry, its name (a {@code DFID_NAME} record). */
    record DirEntry(int type, byte[] handle, String name) {
    }

    /**
     * One event: its mask, descriptor ({@link #FAN_NOFD} in a notification group) and process; the range of a
     * pre-content event ({@code count} 0 when there is none); the entries a notification group reports.
     */
    record Event(long mask, int fd, int pid, long offset, long count, List<DirEntry> entries) {
        DirEntry entry(int type) {
            for (DirEntry e : entries) {
                if (e.type == type) {
                    return e;
                }
            }
            return null;
        }
    }

    /** The events of one {@code read(2)} of {@code length} bytes in {@code buf}, in the kernel's order. */
    static List<Event> parse(MemorySegment buf, long length) {
        List<Event> out = new ArrayList<>(4);
        long at = 0;
        long metaLen = EVENT_METADATA.byteSize();
        while (length - at >= metaLen) {
            int eventLen = buf.get(INT, at);
            if (eventLen < metaLen || eventLen > length - at) {
                break;
            }
            if (buf.get(JAVA_BYTE, at + 4) != FANOTIFY_METADATA_VERSION) {
                throw new IllegalStateException("fanotify metadata version " + buf.get(JAVA_BYTE, at + 4) + ", not "
                        + FANOTIFY_METADATA_VERSION);
            }
            int headLen = Short.toUnsignedInt(buf.get(SHORT, at + 6));
            long mask = buf.get(LONG, at + 8);
            int fd = buf.get(INT, at + 16);
            int pid = buf.get(INT, at + 20);
            long offset = 0;
            long count = 0;
            List<DirEntry> entries = List.of();
            long info = at + headLen;
            while (info + INFO_HEADER.byteSize() <= at + eventLen) {
                int type = Byte.toUnsignedInt(buf.get(JAVA_BYTE, info));
                int len = Short.toUnsignedInt(buf.get(SHORT, info + 2));
                if (len < INFO_HEADER.byteSize() || info + len > at + eventLen) {
                    break;
                }
                if (type == FAN_EVENT_INFO_TYPE_RANGE && len >= INFO_RANGE.byteSize()) {
                    offset = buf.get(LONG, info + 8);
                    count = buf.get(LONG, info + 16);
                } else if (type == FAN_EVENT_INFO_TYPE_FID || type == FAN_EVENT_INFO_TYPE_DFID_NAME
                        || type == FAN_EVENT_INFO_TYPE_DFID || type == FAN_EVENT_INFO_TYPE_OLD_DFID_NAME
                        || type == FAN_EVENT_INFO_TYPE_NEW_DFID_NAME) {
                    if (entries.isEmpty()) {
                        entries = new ArrayList<>(2);
                    }
                    entries.add(fileId(buf, info, len, type));
                }
                info += len;
            }
            out.add(new Event(mask, fd, pid, offset, count, entries));
            at += eventLen;
        }
        return out;
    }

    /** A fid record: the {@code struct file_handle} (header and bytes) after the fsid, then a name for the DFID_NAME kinds. */
    private static DirEntry fileId(MemorySegment buf, long info, int len, int type) {
        long handleAt = info + INFO_FID.byteSize();
        int handleBytes = buf.get(INT, handleAt);
        long whole = FILE_HANDLE.byteSize() + handleBytes;
        byte[] handle = buf.asSlice(handleAt, whole).toArray(JAVA_BYTE);
        String name = null;
        if (type != FAN_EVENT_INFO_TYPE_FID && type != FAN_EVENT_INFO_TYPE_DFID) {
            long nameAt = handleAt + whole;
            long end = info + len;
            long z = nameAt;
            while (z < end && buf.get(JAVA_BYTE, z) != 0) {
                z++;
            }
            name = new String(buf.asSlice(nameAt, z - nameAt).toArray(JAVA_BYTE), java.nio.charset.StandardCharsets.UTF_8);
        }
        return new DirEntry(type, handle, name);
    }

    /** {@code FAN_DENY}, or {@code FAN_DENY_ERRNO(errno)} for an errno the kernel accepts in a pre-content group. */
    static int deny(int errno) {
        return errno == 0 ? FAN_DENY : FAN_DENY | (errno & 0xff) << FAN_ERRNO_SHIFT;
    }
}
