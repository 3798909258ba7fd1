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
 * Every structure and constant {@link Libc} binds for {@link PosixBackend}, against {@code offsetof},
 * {@code sizeof} and the macros of a C program compiled with the system's headers.
 */
class PosixLayoutTest {
    @TempDir
    Path dir;

    private static final Map<String, String> C_STRUCTS = Map.of("STATX", "struct statx", "OPEN_HOW", "struct open_how",
            "TIMESPEC", "struct timespec", "FLOCK", "struct flock", "STATFS", "struct statfs",
            "STATX_TIMESTAMP", "struct statx_timestamp", "IOVEC", "struct iovec", "MSGHDR", "struct msghdr",
            "CMSGHDR", "struct cmsghdr");

    private static StructLayout layout(String name) throws ReflectiveOperationException {
        return (StructLayout) Libc.class.getDeclaredField(name).get(null);
    }

    @Test
    void everyBoundStructureAndConstantIsTheSystemHeadersOwn() throws Exception {
        Map<String, Long> expected = new LinkedHashMap<>();
        StringBuilder c = new StringBuilder("""
                #define _GNU_SOURCE
                #include <stdio.h>
                #include <stddef.h>
                #include <fcntl.h>
                #include <unistd.h>
                #include <sys/stat.h>
                #include <sys/statfs.h>
                #include <sys/syscall.h>
                #include <sys/socket.h>
                #include <sys/uio.h>
                #include <linux/openat2.h>
                #include <linux/stat.h>
                #include <linux/falloc.h>
                #include <errno.h>
                #include <stdint.h>
                struct linux_dirent64 { uint64_t d_ino; int64_t d_off; unsigned short d_reclen; unsigned char d_type; char d_name[]; };
                int main(void) {
                """);
        for (var e : C_STRUCTS.entrySet()) {
            StructLayout s = layout(e.getKey());
            expected.put(e.getKey() + " sizeof", s.byteSize());
            c.append("  printf(\"%s %zu\\n\", \"").append(e.getKey()).append(" sizeof\", sizeof(").append(e.getValue()).append("));\n");
            for (MemoryLayout f : s.memberLayouts()) {
                if (f.name().isEmpty() || f.name().get().startsWith("__")) {
                    continue;
                }
                String field = f.name().get();
                expected.put(e.getKey() + "." + field, s.byteOffset(MemoryLayout.PathElement.groupElement(field)));
                c.append("  printf(\"%s %zu\\n\", \"").append(e.getKey()).append('.').append(field).append("\", offsetof(")
                        .append(e.getValue()).append(", ").append(field).append("));\n");
            }
        }
        Map<String, Long> constants = new LinkedHashMap<>();
        for (String name : List.of("AT_FDCWD", "O_WRONLY", "O_RDWR", "O_CREAT", "O_EXCL", "O_TRUNC", "O_APPEND", "O_DSYNC",
                "O_SYNC", "O_DIRECTORY", "O_NOFOLLOW", "O_PATH", "O_CLOEXEC", "AT_SYMLINK_NOFOLLOW", "AT_REMOVEDIR",
                "AT_EACCESS", "AT_EMPTY_PATH", "RESOLVE_NO_MAGICLINKS", "RESOLVE_NO_SYMLINKS", "RESOLVE_BENEATH",
                "RENAME_NOREPLACE", "RENAME_EXCHANGE", "RENAME_WHITEOUT", "STATX_BASIC_STATS", "STATX_BTIME", "UTIME_OMIT",
                "FALLOC_FL_KEEP_SIZE", "FALLOC_FL_PUNCH_HOLE", "FALLOC_FL_ZERO_RANGE", "F_OFD_GETLK", "F_OFD_SETLK", "F_OFD_SETLKW", "F_RDLCK", "F_WRLCK", "F_UNLCK", "SEEK_SET", "SEEK_DATA",
                "SEEK_HOLE", "AF_UNIX", "SOCK_STREAM", "SOCK_CLOEXEC", "SOL_SOCKET", "SCM_RIGHTS", "MSG_CMSG_CLOEXEC")) {
            constants.put(name, ((Number) Libc.class.getDeclaredField(name).get(null)).longValue());
            c.append("  printf(\"%s %lld\\n\", \"").append(name).append("\", (long long) ").append(name).append(");\n");
        }
        // the one errno table of the module (Errnos): every value is errno.h's
        for (java.lang.reflect.Field f : Errnos.class.getDeclaredFields()) {
            if (f.getType() == int.class && java.lang.reflect.Modifier.isStatic(f.getModifiers()) && f.getName().startsWith("E")) {
                constants.put(f.getName(), (long) f.getInt(null));
                c.append("  printf(\"%s %lld\\n\", \"").append(f.getName()).append("\", (long long) ").append(f.getName())
                        .append(");\n");
            }
        }
        for (var sys : Map.of("SYS_OPENAT2", "SYS_openat2", "SYS_FCHMODAT2", "SYS_fchmodat2", "SYS_GETDENTS64",
                "SYS_getdents64").entrySet()) {
            constants.put(sys.getKey(), (Long) Libc.class.getDeclaredField(sys.getKey()).get(null));
            c.append("#ifdef ").append(sys.getValue()).append("\n  printf(\"%s %lld\\n\", \"").append(sys.getKey())
                    .append("\", (long long) ").append(sys.getValue()).append(");\n#else\n  printf(\"%s %lld\\n\", \"")
                    .append(sys.getKey()).append("\", ").append(constants.get(sys.getKey()))
                    .append("LL); /* older headers: the x86-64 table's number */\n#endif\n");
        }
        expected.putAll(constants);
        expected.put("DIRENT64_RECLEN", Libc.DIRENT64_RECLEN);
        expected.put("DIRENT64_TYPE", Libc.DIRENT64_TYPE);
        expected.put("DIRENT64_NAME", Libc.DIRENT64_NAME);
        c.append("  printf(\"DIRENT64_RECLEN %zu\\n\", offsetof(struct linux_dirent64, d_reclen));\n");
        c.append("  printf(\"DIRENT64_TYPE %zu\\n\", offsetof(struct linux_dirent64, d_type));\n");
        c.append("  printf(\"DIRENT64_NAME %zu\\n\", offsetof(struct linux_dirent64, d_name));\n");
        c.append("  return 0;\n}\n");
        Map<String, Long> actual = CPrinted.run(dir, "posix", c);
        assertThat(actual).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(expected).hasSizeGreaterThan(70);
    }
}
