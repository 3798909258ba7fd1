package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.FilterManager;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PreOpStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The kernel protocol front end, through a real mount: what programs do there, they see on the source. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FuseMountTest extends MountingTest {

    private static Bounded.Result sh(Path cwd, String script) throws Exception {
        return Bounded.run(cwd, List.of("bash", "-euc", script));
    }

    private static boolean mounted(Path mp) throws Exception {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().anyMatch(l -> l.split(" ")[4].equals(mp.toString()));
    }

    /** Loads a filter that counts READs it sees (so reads go direct, past the page cache). */
    private static AtomicLong loadReadCounter(FilterManager manager) {
        AtomicLong reads = new AtomicLong();
        TestFilters.load(manager, "reads", "370000", b -> b.onPreOperation(MajorFunction.READ, (data, objects) -> {
            reads.incrementAndGet();
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }));
        return reads;
    }

    @Test
    void filesDirectoriesLinksAndAttributesThroughTheMount() throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rwxrwxrwx"));
        try (FilterManager manager = FilterManager.builder().verifier(true).build()) {
            AtomicLong reads = loadReadCounter(manager);
            try (FuseMount m = FuseMount.mount(manager, "kernel", source, mnt, 2)) {
                assertThat(m.protocolMinor()).isGreaterThanOrEqualTo(38);
                assertThat(mounted(mnt.toRealPath())).isTrue();
                Bounded.Result r = sh(mnt, String.join("\n",
                        "printf 'hello\\n' > f",
                        "cat f; cat f; cat f",
                        "mkdir -p d/e",
                        "ln f d/g",
                        "[ \"$(stat -c %i f)\" = \"$(stat -c %i d/g)\" ] && echo same-inode",
                        "stat -c 'links %h size %s' f",
                        "ln -s ../f d/s; readlink d/s; cat d/s",
                        "chmod 4751 f; stat -c 'mode %a' f",
                        "chown 65534:65534 d/e; stat -c 'owner %u:%g' d/e",
                        "touch -m -d @1234567 f; stat -c 'mtime %Y' f",
                        "umask 002; touch u; stat -c 'umask-mode %a' u",
                        // an open file after a rename
                        "exec 3< d/g; mv d/g d/moved; cat <&3; exec 3<&-; rm d/moved",
                        "mv f renamed; ls",
                        "rm renamed u d/s; rmdir d/e d; ls -A | wc -l"));
                assertThat(r.exit()).as(r.out()).isZero();
                assertThat(r.out()).contains("hello\nhello\nhello\n", "same-inode", "links 2 size 6", "../f\nhello",
                        "mode 4751", "owner 65534:65534", "mtime 1234567", "umask-mode 664", "renamed")
                        .endsWith("0\n");
                assertThat(r.out().split("\n")).contains("hello"); // the open file, read after its rename
                assertThat(reads.get()).as("every cat reaches the filter that sees reads").isGreaterThanOrEqualTo(3);
                assertThat(m.served()).isPositive();
                assertThat(m.requestsByOpcode()[Abi.FLUSH]).as("FLUSH answered ENOSYS once, then never sent").isLessThanOrEqualTo(1);
            }
            assertThat(mounted(mnt.toRealPath())).as("unmounted at close").isFalse();
            assertThat(Files.list(source).toList()).isEmpty();
            assertThat(manager.unloadFilter("reads")).isEqualTo(NtStatus.SUCCESS);
        }
    }

    /**
     * {@code ls -l} of a directory the kernel has not seen: its names come with their attributes (READDIRPLUS), so the
     * kernel asks no LOOKUP per name; {@code stat}'s birth time comes by STATX, and is the source's.
     */
    @Test
    void aLongListingTakesNoLookupPerNameAndStatxGivesTheBirthTime() throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Path many = Files.createDirectory(source.resolve("many"));
        for (int i = 0; i < 100; i++) {
            Files.writeString(many.resolve("f" + i), "x".repeat(i));
        }
        try (FilterManager manager = FilterManager.builder().verifier(true).build();
             FuseMount m = FuseMount.mount(manager, "plus", source, mnt, 2)) {
            long lookupsBefore = m.requestsByOpcode()[Abi.LOOKUP];
            Bounded.Result r = sh(mnt, "ls -l many | awk 'NR > 1 {s += $5} END {print \"sum\", s, NR - 1}'");
            assertThat(r.out()).as(r.out()).contains("sum 4950 100");
            long[] byOpcode = m.requestsByOpcode();
            assertThat(byOpcode[Abi.READDIRPLUS]).isPositive();
            assertThat(byOpcode[Abi.LOOKUP] - lookupsBefore).as("LOOKUPs for 100 names listed with ls -l").isLessThan(10);
            Bounded.Result born = sh(mnt, "stat -c %W many/f1");
            Bounded.Result bare = sh(source, "stat -c %W many/f1");
            assertThat(born.out().strip()).isEqualTo(bare.out().strip()).isNotEqualTo("0");
            assertThat(m.requestsByOpcode()[Abi.STATX]).isPositive();
        }
    }

    @Test
    void theSourceSeesWhatTheMountWrote() throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        try (FilterManager manager = FilterManager.builder().verifier(true).build();
             FuseMount m = FuseMount.mount(manager, "kernel", source, mnt, 1)) {
            Bounded.Result r = sh(mnt, "head -c 3000000 /dev/urandom > big; cp big copy; cmp big copy && echo equal;"
                    + " python3 -c \"import os; os.setxattr('big', 'user.tag', b'v1'); print(os.getxattr('big', 'user.tag'))\"");
            assertThat(r.exit()).as(r.out()).isZero();
            assertThat(r.out()).contains("equal", "b'v1'");
            assertThat(Files.size(source.resolve("copy"))).isEqualTo(3_000_000);
            assertThat(Files.mismatch(source.resolve("big"), source.resolve("copy"))).isEqualTo(-1);
        }
    }

    /**
     * What the first front end got wrong, each a line of the issue: an open file after its rename or unlink, a
     * relative path just under PATH_MAX, a truncate to a huge length, block counts, and errno values the status
     * table folds together arriving as the source gave them.
     */
    @Test
    void openFilesNamesSizesAndErrnosAreTheSourcesOwn() throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        try (FilterManager manager = FilterManager.builder().verifier(true).build();
             FuseMount m = FuseMount.mount(manager, "posix", source, mnt, 2)) {
            Bounded.Result r = sh(mnt, String.join("\n",
                    "printf 'kept\\n' > f",
                    "exec 3< f; rm f; cat <&3; exec 3<&-",
                    "python3 - <<'PY'",
                    "import os, errno",
                    "fd = os.open('g', os.O_CREAT | os.O_RDWR, 0o644)",
                    "os.write(fd, b'abc'); os.unlink('g')",
                    "print('unlinked-open nlink', os.fstat(fd).st_nlink, 'size', os.fstat(fd).st_size, os.pread(fd, 3, 0))",
                    "os.close(fd)",
                    "deep = '/'.join(['p' * 200] * 20)",  // 4,019 bytes: with the source's path before it, past PATH_MAX
                    "os.makedirs(deep)",
                    "open(deep + '/x', 'w').close()",
                    "print('deep', os.path.exists(deep + '/x'))",
                    "fd = os.open('h', os.O_CREAT | os.O_WRONLY, 0o644)",
                    "try:",
                    "    os.ftruncate(fd, 1 << 62)",
                    "except OSError as e:",
                    "    print('huge', errno.errorcode[e.errno])",
                    "os.close(fd)",
                    "PY",
                    "head -c 1048576 /dev/urandom > blocks; sync; stat -c 'blocks %b' blocks; du -k blocks | cut -f1"));
            assertThat(r.exit()).as(r.out()).isZero();
            assertThat(r.out()).contains("kept\n", "unlinked-open nlink 0 size 3 b'abc'", "deep True")
                    .containsPattern("huge (EFBIG|EINVAL)").contains("blocks 2048", "\n1024\n");
        }
    }

    /** RENAME2's EXCHANGE swaps two names atomically (the kernel's names follow); WHITEOUT leaves a whiteout. */
    @Test
    void renameat2ExchangesAndLeavesWhiteouts() throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        try (FilterManager manager = FilterManager.builder().verifier(true).build();
             FuseMount m = FuseMount.mount(manager, "rename2", source, mnt, 2)) {
            Bounded.Result r = sh(mnt, String.join("\n",
                    "printf a > a; printf b > b; mkdir d; printf c > d/c",
                    "ib=$(stat -c %i b); id=$(stat -c %i d)",
                    "python3 - <<'PY'",
                    "import ctypes, os",
                    "libc = ctypes.CDLL(None, use_errno=True)",
                    "AT_FDCWD, EXCHANGE, NOREPLACE, WHITEOUT = -100, 2, 1, 4",
                    "def rename2(a, b, flags):",
                    "    if libc.renameat2(AT_FDCWD, a.encode(), AT_FDCWD, b.encode(), flags) != 0:",
                    "        return os.strerror(ctypes.get_errno())",
                    "    return 'ok'",
                    "print('exchange', rename2('a', 'b', EXCHANGE))",
                    "print('exchange-dir', rename2('a', 'd', EXCHANGE))",
                    "print('exchange-missing', rename2('a', 'none', EXCHANGE))",
                    "print('exchange-noreplace', rename2('a', 'b', EXCHANGE | NOREPLACE))",
                    "print('whiteout', rename2('b', 'w', WHITEOUT))",
                    "PY",
                    "cat d; echo; cat a/c; echo; [ \"$(stat -c %i a)\" = \"$id\" ] && [ \"$(stat -c %i d)\" = \"$ib\" ] && echo inodes-swapped",
                    "stat -c '%F %t:%T' b; cat w"));
            assertThat(r.exit()).as(r.out()).isZero();
            assertThat(r.out()).contains("exchange ok", "exchange-dir ok", "exchange-missing No such file or directory",
                    "exchange-noreplace Invalid argument", "whiteout ok", "\nb\nc\ninodes-swapped",
                    "character special file 0:0", "\na");
        }
    }

    /** fallocate (allocate, punch a hole, zero a range) and lseek's SEEK_DATA/SEEK_HOLE reach the source's file. */
    @Test
    void fallocateAndSeekDataAndHoleAreTheSourcesOwn() throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        try (FilterManager manager = FilterManager.builder().verifier(true).build()) {
            AtomicLong reads = loadReadCounter(manager); // direct: a filter sees the file's data
            try (FuseMount m = FuseMount.mount(manager, "holes", source, mnt, 2)) {
                Bounded.Result r = sh(mnt, String.join("\n",
                        "fallocate -l 1048576 f; stat -c 'size %s' f",
                        "head -c 1048576 /dev/urandom | dd of=f conv=notrunc status=none",
                        "fallocate -p -o 65536 -l 131072 f; stat -c 'size %s' f",
                        "python3 - <<'PY'",
                        "import os",
                        "fd = os.open('f', os.O_RDONLY)",
                        "print('hole', os.lseek(fd, 0, os.SEEK_HOLE), 'data', os.lseek(fd, 65536, os.SEEK_DATA))",
                        "print('zeros', os.pread(fd, 131072, 65536) == bytes(131072))",
                        "try:",
                        "    os.lseek(fd, 2 << 20, os.SEEK_DATA)",
                        "except OSError as e:",
                        "    print('past-end', e.strerror)",
                        "PY",
                        "fallocate -z -o 0 -l 4096 f; od -An -tx1 -N4 f | tr -d ' '",
                        "fallocate -n -l 4194304 f; stat -c 'size %s' f; [ $(stat -c %b f) -ge 8192 ] && echo reserved"));
                assertThat(r.exit()).as(r.out()).isZero();
                assertThat(r.out()).contains("size 1048576\nsize 1048576", "hole 65536 data 196608", "zeros True",
                        "past-end No such device or address", "00000000", "size 1048576\nreserved");
            }
            assertThat(reads.get()).isPositive();
        }
    }
}
