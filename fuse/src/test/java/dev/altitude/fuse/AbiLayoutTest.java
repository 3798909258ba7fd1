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
        Map<String, Long> expected = new LinkedHashMap<>();
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include <linux/fuse.h>\nint main(void) {\n");
        for (StructLayout s : Abi.STRUCTS) {
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
        Files.writeString(dir.resolve("abi.c"), c);
        Bounded.Result cc = Bounded.run(dir, List.of("gcc", "-o", "abi", "abi.c"));
        assertThat(cc.exit()).as(cc.out()).isZero();
        Bounded.Result run = Bounded.run(dir, List.of(dir.resolve("abi").toString()));
        assertThat(run.exit()).as(run.out()).isZero();
        Map<String, Long> actual = new LinkedHashMap<>();
        for (String line : run.out().strip().split("\n")) {
            String[] kv = line.split(" ");
            actual.put(kv.length == 3 ? kv[0] + " " + kv[1] : kv[0], Long.parseLong(kv[kv.length - 1]));
        }
        assertThat(actual).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(expected).hasSizeGreaterThan(150);
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
