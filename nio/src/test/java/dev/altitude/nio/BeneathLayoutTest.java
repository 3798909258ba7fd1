package dev.altitude.nio;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every constant and layout {@link Beneath} binds, against a C program compiled from the system's headers. */
class BeneathLayoutTest {
    @TempDir
    Path dir;

    @Test
    void constantsAndLayoutsAreTheKernels() throws Exception {
        Path source = dir.resolve("beneath-layout.c");
        try (var in = BeneathLayoutTest.class.getResourceAsStream("/beneath-layout.c")) {
            Files.write(source, in.readAllBytes());
        }
        Path exe = dir.resolve("beneath-layout");
        run("gcc", "-o", exe.toString(), source.toString());
        Map<String, Long> c = new HashMap<>();
        for (String line : run(exe.toString()).split("\n")) {
            String[] kv = line.split("=");
            c.put(kv[0], Long.parseLong(kv[1]));
        }
        assertThat(c.get("sizeof_open_how")).isEqualTo(Beneath.OPEN_HOW.byteSize());
        for (String f : new String[] {"flags", "mode", "resolve"}) {
            assertThat(c.get("offsetof_" + f)).as(f)
                    .isEqualTo(Beneath.OPEN_HOW.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement(f)));
        }
        assertThat(c.get("sizeof_timespec")).isEqualTo(Beneath.TIMESPEC.byteSize());
        assertThat(c.get("offsetof_tv_nsec")).isEqualTo(
                Beneath.TIMESPEC.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("tv_nsec")));
        assertThat(c.get("RESOLVE_NO_MAGICLINKS")).isEqualTo(Beneath.RESOLVE_NO_MAGICLINKS);
        assertThat(c.get("RESOLVE_NO_SYMLINKS")).isEqualTo(Beneath.RESOLVE_NO_SYMLINKS);
        assertThat(c.get("RESOLVE_BENEATH")).isEqualTo(Beneath.RESOLVE_BENEATH);
        assertThat(c.get("O_PATH")).isEqualTo(Beneath.O_PATH);
        assertThat(c.get("O_DIRECTORY")).isEqualTo(Beneath.O_DIRECTORY);
        assertThat(c.get("O_NOFOLLOW")).isEqualTo(Beneath.O_NOFOLLOW);
        assertThat(c.get("O_CLOEXEC")).isEqualTo(Beneath.O_CLOEXEC);
        assertThat(c.get("AT_FDCWD")).isEqualTo(Beneath.AT_FDCWD);
        assertThat(c.get("AT_SYMLINK_NOFOLLOW")).isEqualTo(Beneath.AT_SYMLINK_NOFOLLOW);
        assertThat(c.get("UTIME_OMIT")).isEqualTo(Beneath.UTIME_OMIT);
        assertThat(c.get("SYS_openat2")).isEqualTo(Beneath.SYS_OPENAT2);
        // fchmodat2 (452, arch/x86/entry/syscalls/syscall_64.tbl) is newer than these headers: the kernel itself
        // answers for it, refusing a link with EOPNOTSUPP (ConfinedBackendTest) rather than ENOSYS.
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish: " + out.getNow(""));
        }
        String text = out.get(10, TimeUnit.SECONDS);
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + text).isZero();
        return text;
    }
}
