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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The same shell workload (cp, mv, rm, ls -l, dd, ln, chmod, touch, truncate, errors) run in a plain
 * directory and through a FUSE mount with the passThrough filter gives the same output, exit codes and
 * files. Skipped, visibly, where FUSE is missing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FuseDifferentialTest extends MountingTest {
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
            "/usr/bin/python3 -c \"import os; os.setxattr('a.txt', 'user.k', b'v1'); print(os.getxattr('a.txt', 'user.k'), "
                    + "os.listxattr('a.txt')); os.removexattr('a.txt', 'user.k'); print(os.listxattr('a.txt'))\"",
            "/usr/bin/python3 -c \"import os; os.getxattr('a.txt', 'user.none')\" 2>&1 | tail -1",
            // every namespace (the tests run as root: trusted. and security. are root's), and setxattr's flags
            "/usr/bin/python3 -c \"import os; os.setxattr('a.txt', 'trusted.t', b'tv'); os.setxattr('a.txt', 'security.s', b'sv'); "
                    + "print(os.getxattr('a.txt', 'trusted.t'), os.getxattr('a.txt', 'security.s'), sorted(os.listxattr('a.txt'))); "
                    + "os.removexattr('a.txt', 'trusted.t'); print(sorted(os.listxattr('a.txt')))\"",
            "/usr/bin/python3 -c \"import os\nos.setxattr('a.txt', 'user.c', b'1', os.XATTR_CREATE)\ntry: os.setxattr('a.txt', 'user.c', b'2', os.XATTR_CREATE)\n"
                    + "except OSError as e: print('create', e.errno)\ntry: os.setxattr('a.txt', 'user.none', b'2', os.XATTR_REPLACE)\n"
                    + "except OSError as e: print('replace', e.errno)\nos.setxattr('a.txt', 'user.c', b'3', os.XATTR_REPLACE); "
                    + "print(os.getxattr('a.txt', 'user.c')); os.removexattr('a.txt', 'user.c'); os.removexattr('a.txt', 'security.s')\"",
            // POSIX ACLs: kept, inherited from a directory's default ACL (which then stands in for the umask), enforced
            "touch acl && setfacl -m u:65534:r,g:65534:rw acl && getfacl -c acl && stat -c '%a' acl",
            "mkdir acld && setfacl -d -m u:65534:rwx,g::r-x,o::- acld && (umask 077; touch acld/f; mkdir acld/g; mkfifo acld/p) "
                    + "&& getfacl -c acld/f acld/g acld/p && stat -c '%a %n' acld/f acld/g acld/p",
            "echo secret > acl2 && chmod 644 acl2 && setfacl -m u:65534:- acl2 && setpriv --reuid=65534 --regid=65534 --clear-groups cat acl2; "
                    + "echo acl-cat=$?; setfacl -m u:65534:r acl2 && chmod 600 acl2 && setpriv --reuid=65534 --regid=65534 --clear-groups cat acl2; echo mask-cat=$?",
            "rm -rf acl acl2 acld",
            // the birth time (STATX) and ls -l's names with their attributes (READDIRPLUS)
            "touch bt && [ \"$(stat -c '%W' bt)\" != 0 ] && [ \"$(stat -c '%W' bt)\" -le \"$(stat -c '%Y' bt)\" ] && echo born; rm bt",
            "mkdir many && for i in $(seq 1 300); do echo $i > many/f$i; done && ls -li many | awk 'NR > 1 {print $6}' | sort -n | tail -1 "
                    + "&& [ \"$(ls -i many/f7 | cut -d' ' -f1)\" = \"$(stat -c %i many/f7)\" ] && echo same-ino && rm -r many",
            "if command -v fio > /dev/null; then fio --name=small --rw=randrw --bs=4k --size=1m --verify=crc32c --verify_state_save=0 "
                    + "--ioengine=psync --output=/dev/null && echo fio-ok && rm -f small.*; else echo fio-ok; fi",
            // what POSIX programs need of the file system: special files and bits, the umask, open files that move
            "mkfifo fifo && stat -c '%F %a' fifo",
            "/usr/bin/python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); s.bind('sock'); print('bound')\" && stat -c '%F' sock",
            "touch s1 s2 && mkdir s3 && chmod 4755 s1 && chmod 2755 s2 && chmod 1777 s3 && stat -c '%a %n' s1 s2 s3",
            "(umask 027; touch um; mkdir umd; stat -c '%a %n' um umd)",
            "echo kept > o; exec 3< o; mv o o2; cat <&3; exec 3<&-; exec 4< o2; rm o2; cat <&4; exec 4<&-",
            "truncate -s 10M sparse && stat -c '%s' sparse && du -k sparse | cut -f1 && printf x | dd of=sparse bs=1 seek=5000000 conv=notrunc status=none && du -k sparse | cut -f1",
            "cp --reflink=never --sparse=always sparse sparse2 && cmp sparse sparse2 && du -k sparse2 | cut -f1",
            "mkdir -p r/a && echo one > r/a/f && ln r/a/f r/a/h && ln -s f r/a/l && /usr/bin/python3 -c \"import os; os.setxattr('r/a/f', 'user.tag', b't')\"",
            "if command -v rsync > /dev/null; then rsync -aHAX r/ r2/ && stat -c '%h' r2/a/f r2/a/h && readlink r2/a/l "
                    + "&& /usr/bin/python3 -c \"import os; print(os.getxattr('r2/a/f', 'user.tag'))\"; else echo 2; echo 2; echo f; echo \"b't'\"; fi",
            "rm -rf r r2 sparse sparse2 s1 s2 s3 um umd fifo sock",
            "export GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@b GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@b "
                    + "GIT_AUTHOR_DATE='2020-01-01T00:00:00Z' GIT_COMMITTER_DATE='2020-01-01T00:00:00Z'; "
                    + "git init -q repo && cd repo && for i in $(seq 1 60); do echo $i > f$i; done && git add . && git commit -qm one "
                    + "&& git mv f1 g1 && git commit -qm two && git gc -q && git fsck && git log --format='%H %s'; cd ..; rm -rf repo",
            "sqlite3 db 'PRAGMA journal_mode=WAL;' && for i in $(seq 1 20); do sqlite3 db \"create table if not exists t(x); "
                    + "insert into t values($i);\"; done && sqlite3 db 'select count(*), sum(x) from t; PRAGMA integrity_check;' && rm -f db db-wal db-shm",
            "ls -l | awk 'NR > 1 {print $1, $2, $5, $9}'",
            "find . | sort");

    static final AtomicLong MOUNTS = new AtomicLong();

    static String run(Path cwd, String script) throws IOException, InterruptedException {
        Bounded.Result r = Bounded.run(cwd, java.util.List.of("bash", "-c", script));
        return r.out() + "exit=" + r.exit();
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

    /** One seeded Java operation under {@code root}: its value, or its exception's class. */
    static String javaOp(Path root, java.util.Random r) {
        String[] names = {"a", "b", "d", "d/x", "d/y", "e"};
        Path p = root.resolve(names[r.nextInt(names.length)]);
        Path q = root.resolve(names[r.nextInt(names.length)]);
        try {
            return switch (r.nextInt(11)) {
                case 0 -> {
                    Files.writeString(p, "v" + r.nextInt(1000));
                    yield "wrote";
                }
                case 1 -> Files.readString(p);
                case 2 -> Files.createDirectory(p).getFileName().toString();
                case 3 -> {
                    Files.delete(p);
                    yield "deleted";
                }
                case 4 -> Files.move(p, q, java.nio.file.StandardCopyOption.REPLACE_EXISTING).getFileName().toString();
                case 5 -> Files.copy(p, q).getFileName().toString();
                case 6 -> {
                    try (Stream<Path> l = Files.list(p)) {
                        yield l.map(x -> x.getFileName().toString()).sorted().toList().toString();
                    }
                }
                case 7 -> Long.toString(Files.size(p));
                case 8 -> {
                    Files.writeString(p, "+", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                    yield Files.readString(p);
                }
                case 9 -> Files.createSymbolicLink(p, p.getFileSystem().getPath("a")).getFileName().toString();
                default -> Boolean.toString(Files.isDirectory(p)) + Files.exists(p, LinkOption.NOFOLLOW_LINKS);
            };
        } catch (IOException | RuntimeException e) {
            return e.getClass().getSimpleName();
        }
    }

    @Test
    void seededJavaWorkloadsGiveTheSameResultsAndFilesThroughTheMount() throws Exception {
        Path plain = Files.createDirectory(dir.resolve("plain"));
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mountPoint = Files.createDirectory(dir.resolve("mnt"));
        try (FilterManager manager = FilterManager.builder().verifier(true).build()) {
            assertThat(manager.loadFilter(PassThrough.NAME)).isEqualTo(NtStatus.SUCCESS);
            try (FuseMount mount = FuseMount.mount(manager, "j" + MOUNTS.incrementAndGet(), source, mountPoint)) {
                for (long seed = 1; seed <= 20; seed++) {
                    java.util.Random a = new java.util.Random(seed);
                    java.util.Random b = new java.util.Random(seed);
                    for (int i = 0; i < 60; i++) {
                        String expected = javaOp(plain, a);
                        String actual = javaOp(mountPoint, b);
                        assertThat(actual).as("seed %d operation %d", seed, i).isEqualTo(expected);
                    }
                    assertThat(tree(mountPoint)).as("seed %d", seed).isEqualTo(tree(plain));
                    run(plain, "rm -rf ./*");
                    run(mountPoint, "rm -rf ./*");
                }
                assertThat(mount.openHandles()).isZero();
            }
        }
    }
}
