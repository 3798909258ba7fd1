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
 * Every structure the kernel front end binds has the offsets and the size that {@code offsetof} and
 * {@code sizeof} give in C with the installed {@code linux/fuse.h}, so a wrong offset fails here and not as a
 * corrupted request. The installed header is protocol 7.38: where 7.40 renamed a field, the C name is the old one.
 */
class AbiLayoutTest {
    /** 7.42 name → the 7.38 header's name for the same bytes. */
    private static final Map<String, String> OLD_NAMES = Map.of(
            "fuse_open_out.backing_id", "padding",
            "fuse_init_out.max_stack_depth", "unused[0]",
            "fuse_init_out.unused", "unused[1]");

    @TempDir
    Path dir;

    @Test
    void everyBoundFieldSitsWhereTheKernelHeaderPutsIt() throws Exception {
        Map<String, Long> expected = check("abi", "#include <linux/fuse.h>\n", Abi.STRUCTS);
        assertThat(expected).hasSizeGreaterThan(150);
    }

    /** The structures of FUSE_STATX (7.39), as {@code include/uapi/linux/fuse.h} declares them. */
    private static final String STATX_C = """
            struct fuse_sx_time { int64_t tv_sec; uint32_t tv_nsec; int32_t __reserved; };
            struct fuse_statx { uint32_t mask; uint32_t blksize; uint64_t attributes; uint32_t nlink; uint32_t uid;
              uint32_t gid; uint16_t mode; uint16_t __spare0[1]; uint64_t ino; uint64_t size; uint64_t blocks;
              uint64_t attributes_mask; struct fuse_sx_time atime; struct fuse_sx_time btime; struct fuse_sx_time ctime;
              struct fuse_sx_time mtime; uint32_t rdev_major; uint32_t rdev_minor; uint32_t dev_major; uint32_t dev_minor;
              uint64_t __spare2[14]; };
            struct fuse_statx_in { uint32_t getattr_flags; uint32_t reserved; uint64_t fh; uint32_t sx_flags; uint32_t sx_mask; };
            struct fuse_statx_out { uint64_t attr_valid; uint32_t attr_valid_nsec; uint32_t flags; uint64_t spare[2];
              struct fuse_statx stat; };
            """;

    /** The structures newer than the installed header, against the uapi header's declarations copied above. */
    @Test
    void theStatxStructuresSitWhereTheUapiHeaderPutsThem() throws Exception {
        Map<String, Long> expected = check("statx", "#include <stdint.h>\n" + STATX_C, Abi.NEWER_STRUCTS);
        assertThat(expected).containsEntry("fuse_statx sizeof", 256L).containsEntry("fuse_statx_out sizeof", 288L);
    }

    /** Compiles a C program that prints each field's {@code offsetof} and each {@code sizeof}; compares them to the layouts. */
    private Map<String, Long> check(String program, String declarations, List<StructLayout> structs) throws Exception {
        Map<String, Long> expected = new LinkedHashMap<>();
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n" + declarations + "int main(void) {\n");
        for (StructLayout s : structs) {
            String name = s.name().orElseThrow();
            expected.put(name + " sizeof", s.byteSize());
            c.append("  printf(\"%s sizeof %zu\\n\", \"").append(name).append("\", sizeof(struct ").append(name).append("));\n");
            for (MemoryLayout f : s.memberLayouts()) {
                if (f.name().isEmpty()) {
                    continue;
                }
                String field = f.name().get();
                String cField = OLD_NAMES.getOrDefault(name + "." + field, field);
                expected.put(name + "." + field, Abi.off(s, field));
                c.append("  printf(\"%s.%s %zu\\n\", \"").append(name).append("\", \"").append(field)
                        .append("\", offsetof(struct ").append(name).append(", ").append(cField).append("));\n");
            }
        }
        c.append("  return 0;\n}\n");
        Files.writeString(dir.resolve(program + ".c"), c);
        Bounded.Result cc = Bounded.run(dir, List.of("gcc", "-o", program, program + ".c"));
        assertThat(cc.exit()).as(cc.out()).isZero();
        Bounded.Result run = Bounded.run(dir, List.of(dir.resolve(program).toString()));
        assertThat(run.exit()).as(run.out()).isZero();
        Map<String, Long> actual = new LinkedHashMap<>();
        for (String line : run.out().strip().split("\n")) {
            String[] kv = line.split(" ");
            actual.put(kv.length == 3 ? kv[0] + " " + kv[1] : kv[0], Long.parseLong(kv[kv.length - 1]));
        }
        assertThat(actual).containsExactlyInAnyOrderEntriesOf(expected);
        return expected;
    }

    @Test
    void theCloneIoctlIsTheKernelsNumber() throws Exception {
        Files.writeString(dir.resolve("ioc.c"), "#include <stdio.h>\n#include <sys/ioctl.h>\n#include <linux/fuse.h>\n"
                + "int main(void) { printf(\"%lu\\n\", (unsigned long) FUSE_DEV_IOC_CLONE); return 0; }\n");
        assertThat(Bounded.run(dir, List.of("gcc", "-o", "ioc", "ioc.c")).exit()).isZero();
        assertThat(Bounded.run(dir, List.of(dir.resolve("ioc").toString())).out().strip())
                .isEqualTo(Long.toString(Abi.DEV_IOC_CLONE));
    }

    /**
     * Passthrough's structure and ioctls are newer (7.40) than the installed header: the structure is declared here
     * as the kernel's uapi header has it, and the numbers come from the C library's {@code _IOW}.
     */
    @Test
    void thePassthroughStructureAndIoctlsAreTheKernelsNumbers() throws Exception {
        Files.writeString(dir.resolve("pt.c"), """
                #include <stdio.h>
                #include <stddef.h>
                #include <stdint.h>
                #include <sys/ioctl.h>
                struct fuse_backing_map { int32_t fd; uint32_t flags; uint64_t padding; };
                int main(void) {
                  printf("%zu %zu %zu %zu\\n", sizeof(struct fuse_backing_map), offsetof(struct fuse_backing_map, fd),
                         offsetof(struct fuse_backing_map, flags), offsetof(struct fuse_backing_map, padding));
                  printf("%lu %lu\\n", (unsigned long) _IOW(229, 1, struct fuse_backing_map), (unsigned long) _IOW(229, 2, uint32_t));
                  return 0;
                }
                """);
        assertThat(Bounded.run(dir, List.of("gcc", "-o", "pt", "pt.c")).exit()).isZero();
        String[] lines = Bounded.run(dir, List.of(dir.resolve("pt").toString())).out().strip().split("\n");
        StructLayout m = Abi.BACKING_MAP;
        java.util.function.ToLongFunction<String> off = f -> m.byteOffset(MemoryLayout.PathElement.groupElement(f));
        assertThat(lines[0]).isEqualTo(m.byteSize() + " " + off.applyAsLong("fd") + " " + off.applyAsLong("flags") + " "
                + off.applyAsLong("padding"));
        assertThat(lines[1]).isEqualTo(Abi.DEV_IOC_BACKING_OPEN + " " + Abi.DEV_IOC_BACKING_CLOSE);
    }
}
