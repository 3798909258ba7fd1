package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.FilterManager;
import dev.altitude.core.NtStatus;
import dev.altitude.samples.passthrough.PassThrough;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same shell workload (cp, mv, rm, ls -l, dd, ln, chmod, touch, truncate, errors) run in a plain
 * directory and through a FUSE mount with the passThrough filter gives the same output, exit codes and
 * files. Skipped, visibly, where FUSE is missing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FuseDifferentialTest {
    static final String WORKLOAD = String.join("\n",
            "echo hello > a.txt; cat a.txt",
            "cp a.txt b.txt && mv b.txt c.txt && cat c.txt",
            "mkdir -p d/e/f && echo deep > d/e/f/g && cp -r d d2 && cat d2/e/f/g",
            "ln -s a.txt link && readlink link && cat link",
            "ln a.txt hard && stat -c '%h' a.txt",
            "head -c 3000000 /dev/zero | tr '\\0' 'x' > big && dd if=big of=big2 bs=65536 status=none && cmp big big2 && echo same",
            "dd if=big of=part bs=4096 skip=3 count=5 status=none && stat -c '%s' part",
            "truncate -s 100 big2 && stat -c '%s %F' big2 && truncate -s 200000 big2 && stat -c '%s' big2",
            "chmod 640 a.txt && stat -c '%a' a.txt",
            "touch -d '2020-01-02 03:04:05 UTC' c.txt && stat -c '%Y' c.txt",
            "rm c.txt && ls c.txt; echo rm-status=$?",
            "rmdir d; echo rmdir-status=$?",
            "rm -r d2 && ls",
            "mv nothing x; echo mv-status=$?",
            "cat d; echo cat-dir-status=$?",
            "mkdir d; echo mkdir-exists-status=$?",
            "echo more >> a.txt && cat a.txt",
            "ls -l | awk 'NR > 1 {print $1, $2, $5, $9}'",
            "find . | sort");

    static final AtomicLong MOUNTS = new AtomicLong();

    @BeforeAll
    static void fuseIsThere() {
        String missing = FuseMount.unavailableReason();
        Assumptions.assumeTrue(missing == null, () -> "FUSE tests skipped: " + missing);
    }

    @TempDir
    Path dir;

    static String run(Path cwd, String script) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", "-c", script).directory(cwd.toFile()).redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out + "exit=" + p.exitValue();
    }

    static TreeMap<String, String> tree(Path base) throws IOException {
        TreeMap<String, String> t = new TreeMap<>();
        try (Stream<Path> all = Files.walk(base)) {
            for (Path p : all.toList()) {
                String rel = base.relativize(p).toString();
                String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
                if (Files.isSymbolicLink(p)) {
                    t.put(rel, "link " + Files.readSymbolicLink(p));
                } else if (Files.isDirectory(p)) {
                    t.put(rel, "dir " + perms);
                } else {
                    t.put(rel, "file " + perms + " " + Files.size(p) + " " + java.util.Arrays.hashCode(Files.readAllBytes(p)));
                }
            }
        }
        return t;
    }

    @Test
    void shellWorkloadsGiveTheSameOutputAndFilesThroughTheMount() throws Exception {
        Path plain = Files.createDirectory(dir.resolve("plain"));
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mountPoint = Files.createDirectory(dir.resolve("mnt"));
        List<String> trace = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        try (FilterManager manager = FilterManager.builder().verifier(true).build()) {
            manager.registerDriver(PassThrough.NAME, () -> new PassThrough(trace::add));
            assertThat(manager.loadFilter(PassThrough.NAME)).isEqualTo(NtStatus.SUCCESS);
            try (FuseMount mount = FuseMount.mount(manager, "m" + MOUNTS.incrementAndGet(), source, mountPoint)) {
                String expected = run(plain, WORKLOAD);
                String actual = run(mountPoint, WORKLOAD);
                assertThat(actual.lines().toList()).isEqualTo(expected.lines().toList());
                assertThat(tree(mountPoint)).isEqualTo(tree(plain));
                assertThat(mount.openHandles()).isZero();
            }
            assertThat(tree(source)).isEqualTo(tree(plain));
            assertThat(trace).anyMatch(l -> l.startsWith("pre passthrough Instance WRITE /big2"))
                    .anyMatch(l -> l.startsWith("post passthrough Instance SET_INFORMATION /c.txt"));
        }
    }
}
