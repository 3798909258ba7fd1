package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.unix.Unix;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every structure and constant {@link Unix} binds (lending files, the descriptor socket), against {@code sizeof},
 * {@code offsetof} and the macros of a C program compiled with the system's headers: a wrong offset fails here, not
 * as a descriptor lost at run time.
 */
@Timeout(120)
class UnixLayoutTest {
    @TempDir
    Path dir;

    private static final Map<String, String> C_STRUCTS = Map.of("OPEN_HOW", "struct open_how", "STAT", "struct stat",
            "SOCKADDR_UN", "struct sockaddr_un", "UCRED", "struct ucred", "TIMEVAL", "struct timeval",
            "IOVEC", "struct iovec", "MSGHDR", "struct msghdr", "CMSGHDR", "struct cmsghdr");

    @Test
    void everyBoundStructureAndConstantIsTheSystemHeadersOwn() throws Exception {
        Map<String, Long> expected = new LinkedHashMap<>();
        StringBuilder c = new StringBuilder("""
                #define _GNU_SOURCE
                #include <stdio.h>
                #include <stddef.h>
                #include <fcntl.h>
                #include <unistd.h>
                #include <pwd.h>
                #include <grp.h>
                #include <errno.h>
                #include <sys/stat.h>
                #include <sys/time.h>
                #include <sys/mman.h>
                #include <sys/socket.h>
                #include <sys/syscall.h>
                #include <sys/uio.h>
                #include <sys/un.h>
                #include <linux/openat2.h>
                int main(void) {
                """);
        for (var e : C_STRUCTS.entrySet()) {
            StructLayout s = (StructLayout) Unix.class.getField(e.getKey()).get(null);
            expected.put(e.getKey() + " sizeof", s.byteSize());
            c.append("  printf(\"%s %zu\\n\", \"").append(e.getKey()).append(" sizeof\", sizeof(").append(e.getValue()).append("));\n");
            for (MemoryLayout f : s.memberLayouts()) {
                if (f.name().isEmpty()) {
                    continue;
                }
                String field = f.name().get();
                expected.put(e.getKey() + "." + field, s.byteOffset(MemoryLayout.PathElement.groupElement(field)));
                c.append("  printf(\"%s %zu\\n\", \"").append(e.getKey()).append('.').append(field).append("\", offsetof(")
                        .append(e.getValue()).append(", ").append(field).append("));\n");
            }
        }
        for (String name : List.of("O_RDONLY", "O_NOCTTY", "O_NONBLOCK", "O_DIRECTORY", "O_NOFOLLOW", "O_CLOEXEC", "O_PATH",
                "O_ACCMODE", "RESOLVE_NO_MAGICLINKS", "RESOLVE_NO_SYMLINKS", "RESOLVE_BENEATH", "S_IFMT", "S_IFREG",
                "SEEK_END", "F_GETFL", "F_DUPFD_CLOEXEC", "F_ADD_SEALS", "F_SEAL_SEAL", "F_SEAL_SHRINK", "F_SEAL_GROW", "F_SEAL_WRITE",
                "MFD_CLOEXEC", "MFD_ALLOW_SEALING", "AF_UNIX", "SOCK_SEQPACKET", "SOCK_CLOEXEC", "SOL_SOCKET",
                "SO_PEERCRED", "SO_RCVTIMEO", "SO_SNDTIMEO", "SCM_RIGHTS", "MSG_DONTWAIT", "MSG_NOSIGNAL",
                "MSG_CMSG_CLOEXEC", "MSG_CTRUNC", "SHUT_RDWR", "EINTR", "EAGAIN")) {
            expected.put(name, ((Number) Unix.class.getField(name).get(null)).longValue());
            c.append("  printf(\"%s %lld\\n\", \"").append(name).append("\", (long long) ").append(name).append(");\n");
        }
        Map<String, String> expressions = Map.of("SYS_OPENAT2", "SYS_openat2",
                "CMSG_LEN_ONE_FD", "CMSG_LEN(sizeof(int))", "CMSG_SPACE_ONE_FD", "CMSG_SPACE(sizeof(int))",
                "PASSWD_NAME", "offsetof(struct passwd, pw_name)", "GROUP_NAME", "offsetof(struct group, gr_name)",
                "SIZEOF_PASSWD", "sizeof(struct passwd)", "SIZEOF_GROUP", "sizeof(struct group)");
        for (var e : expressions.entrySet()) {
            expected.put(e.getKey(), ((Number) Unix.class.getField(e.getKey()).get(null)).longValue());
            c.append("  printf(\"%s %lld\\n\", \"").append(e.getKey()).append("\", (long long) (").append(e.getValue()).append("));\n");
        }
        c.append("  return 0;\n}\n");
        assertThat(printed(c)).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(expected).hasSizeGreaterThan(60);
    }

    /** Compiles and runs the program; each {@code NAME VALUE} line it prints. */
    private Map<String, Long> printed(CharSequence source) throws Exception {
        Files.writeString(dir.resolve("unix.c"), source);
        assertThat(run(List.of("gcc", "-o", "unix", "unix.c"), source)).isEmpty();
        Map<String, Long> printed = new LinkedHashMap<>();
        for (String line : run(List.of(dir.resolve("unix").toString()), source).strip().split("\n")) {
            int sp = line.lastIndexOf(' ');
            printed.put(line.substring(0, sp), Long.parseLong(line.substring(sp + 1)));
        }
        return printed;
    }

    private String run(List<String> command, CharSequence source) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes());
            } catch (java.io.IOException e) {
                return "read failed: " + e;
            }
        }, r -> Thread.ofPlatform().daemon().start(r));
        boolean ended = p.waitFor(90, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly();
        }
        String text = out.get(30, TimeUnit.SECONDS);
        assertThat(ended && p.exitValue() == 0).as(command + " failed:\n" + text + "\n" + source).isTrue();
        return text;
    }
}
