package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every structure and constant {@link Fanotify} binds, against {@code offsetof}, {@code sizeof} and the macros of a C
 * program compiled with the system's {@code <sys/fanotify.h>}. What Debian 12's header predates (the pre-content event
 * and its range record, kernel 6.14) the program defines as the kernel's uapi header does, so C's own layout rules
 * still decide the offsets.
 */
class FanotifyLayoutTest {
    @TempDir
    Path dir;

    private static final Map<String, String> C_STRUCTS = Map.of("EVENT_METADATA", "struct fanotify_event_metadata",
            "RESPONSE", "struct fanotify_response", "INFO_HEADER", "struct fanotify_event_info_header",
            "INFO_FID", "struct fanotify_event_info_fid", "INFO_RANGE", "struct altitude_info_range",
            "FILE_HANDLE", "struct file_handle");

    @Test
    void everyBoundStructureAndConstantIsTheKernelHeadersOwn() throws Exception {
        Map<String, Long> expected = new LinkedHashMap<>();
        StringBuilder c = new StringBuilder("""
                #define _GNU_SOURCE
                #include <stdio.h>
                #include <stddef.h>
                #include <fcntl.h>
                #include <poll.h>
                #include <sys/eventfd.h>
                #include <sys/fanotify.h>
                #include <linux/types.h>
                #ifndef FAN_PRE_ACCESS
                #define FAN_PRE_ACCESS 0x00100000
                #endif
                #ifndef FAN_ERRNO_SHIFT
                #define FAN_ERRNO_SHIFT (32 - 8)
                #endif
                #ifndef FAN_EVENT_INFO_TYPE_RANGE
                #define FAN_EVENT_INFO_TYPE_RANGE 6
                #endif
                struct altitude_info_range { struct fanotify_event_info_header hdr; __u32 pad; __u64 offset; __u64 count; };
                int main(void) {
                """);
        for (var e : C_STRUCTS.entrySet()) {
            StructLayout s = (StructLayout) Fanotify.class.getDeclaredField(e.getKey()).get(null);
            expected.put(e.getKey() + " sizeof", s.byteSize());
            c.append("  printf(\"%s %zu\\n\", \"").append(e.getKey()).append(" sizeof\", sizeof(").append(e.getValue()).append("));\n");
            for (MemoryLayout f : s.memberLayouts()) {
                String field = f.name().orElseThrow();
                expected.put(e.getKey() + "." + field, s.byteOffset(MemoryLayout.PathElement.groupElement(field)));
                c.append("  printf(\"%s %zu\\n\", \"").append(e.getKey()).append('.').append(field).append("\", offsetof(")
                        .append(e.getValue()).append(", ").append(field).append("));\n");
            }
        }
        expected.put("POLLFD sizeof", Libc.POLLFD.byteSize());
        c.append("  printf(\"POLLFD sizeof %zu\\n\", sizeof(struct pollfd));\n");
        for (String f : List.of("fd", "events", "revents")) {
            expected.put("POLLFD." + f, Libc.POLLFD.byteOffset(MemoryLayout.PathElement.groupElement(f)));
            c.append("  printf(\"POLLFD.").append(f).append(" %zu\\n\", offsetof(struct pollfd, ").append(f).append("));\n");
        }
        for (java.lang.reflect.Field f : Fanotify.class.getDeclaredFields()) {
            if (java.lang.reflect.Modifier.isStatic(f.getModifiers()) && f.getName().startsWith("FAN")
                    && (f.getType() == int.class || f.getType() == long.class)) {
                f.setAccessible(true);
                expected.put(f.getName(), ((Number) f.get(null)).longValue());
                c.append("  printf(\"%s %lld\\n\", \"").append(f.getName()).append("\", (long long) ").append(f.getName()).append(");\n");
            }
        }
        // glibc's O_LARGEFILE is 0 on 64-bit (its default there); the kernel's flag, which fanotify_init takes, is the one
        // the kernel puts in every open file's flags on a 64-bit system: what F_GETFL shows of a plain read-only open
        expected.put("O_LARGEFILE", (long) Libc.O_LARGEFILE);
        c.append("  printf(\"O_LARGEFILE %lld\\n\", (long long) (fcntl(open(\"/proc/self/exe\", O_RDONLY), F_GETFL) & ~O_ACCMODE));\n");
        for (String name : List.of("EFD_CLOEXEC", "POLLIN")) {
            expected.put(name, ((Number) Libc.class.getDeclaredField(name).get(null)).longValue());
            c.append("  printf(\"%s %lld\\n\", \"").append(name).append("\", (long long) ").append(name).append(");\n");
        }
        c.append("  return 0;\n}\n");
        Map<String, Long> actual = CPrinted.run(dir, "fan", c);
        assertThat(actual).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(expected).hasSizeGreaterThan(50);
    }

    @Test
    void aDenialWithAnErrnoPutsItInTheTopByte() {
        assertThat(Fanotify.deny(0)).isEqualTo(Fanotify.FAN_DENY);
        assertThat(Fanotify.deny(Errnos.ENOSPC)).isEqualTo(Fanotify.FAN_DENY | 28 << 24);
    }

    @Test
    void theRequestorsIdsAreTheFileSystemOnesOfItsStatus() {
        String status = "Name:\tcat\nUmask:\t0022\nState:\tR\nUid:\t1000\t1001\t1002\t1003\nGid:\t2000\t2001\t2002\t2003\n";
        java.lang.foreign.MemorySegment s = java.lang.foreign.MemorySegment.ofArray(status.getBytes());
        assertThat(FanotifyVolume.field(s, s.byteSize(), "\nUid:".getBytes())).isEqualTo(1003);
        assertThat(FanotifyVolume.field(s, s.byteSize(), "\nGid:".getBytes())).isEqualTo(2003);
        assertThat(FanotifyVolume.field(s, 40, "\nUid:".getBytes())).as("cut short").isEqualTo(-1);
        java.lang.foreign.MemorySegment none = java.lang.foreign.MemorySegment.ofArray("Name:\tx\n".getBytes());
        assertThat(FanotifyVolume.field(none, none.byteSize(), "\nUid:".getBytes())).isEqualTo(-1);
    }
}
