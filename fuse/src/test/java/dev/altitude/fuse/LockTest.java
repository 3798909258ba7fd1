package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.altitude.core.FilterManager;
import dev.altitude.core.IoParameters;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.PreOpStatus;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * POSIX record locks through the mount are the source's: a lock taken through the mount stops a lock on the source
 * file itself by another process and the other way round, filters see each as LOCK_CONTROL, a lock that waits is
 * granted when the holder lets go while the workers go on serving, and a waiting caller interrupted gets its wait
 * ended.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LockTest extends MountingTest {

    /**
     * A process of its own holding a POSIX lock on a file until its standard input closes (the lock must not be this
     * JVM's: the daemon runs here, and any descriptor of the file it closes would end this process's POSIX locks).
     */
    private static final class SourceLocker implements AutoCloseable {
        final Process p;
        private final CompletableFuture<String> firstLine = new CompletableFuture<>();

        SourceLocker(Path file) throws Exception {
            this(file, "lockf");
        }

        /** {@code call}: {@code lockf} (a POSIX record lock) or {@code flock} (a BSD whole-file lock). */
        SourceLocker(Path file, String call) throws Exception {
            p = new ProcessBuilder("python3", "-c", "import fcntl, sys\nf = open(sys.argv[1], 'r+')\n"
                    + "fcntl." + call + "(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\nsys.stdin.readline()", file.toString())
                    .redirectErrorStream(true).start();
            Thread.ofPlatform().daemon().start(() -> {
                try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
                    firstLine.complete(String.valueOf(r.readLine()));
                    r.transferTo(java.io.Writer.nullWriter());
                } catch (java.io.IOException e) {
                    firstLine.completeExceptionally(e);
                }
            });
            assertThat(firstLine.get(Bounded.LIMIT_SECONDS, TimeUnit.SECONDS)).isEqualTo("locked");
        }

        /** Lets go of the lock: the process ends. */
        @Override
        public void close() throws Exception {
            p.getOutputStream().close();
            if (!p.waitFor(Bounded.LIMIT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("the locking process did not end\n" + Bounded.threadDump());
            }
        }
    }

    /** {@code F_GETLK} of a write lock of the whole file by another process: the type in the way (2: none) and its holder. */
    private static String getlk(Path file) throws Exception {
        Bounded.Result r = Bounded.run(file.getParent(), List.of("python3", "-c", "import fcntl, os, struct, sys\n"
                + "fd = os.open(sys.argv[1], os.O_RDWR)\n"
                + "t, w, start, length, pid = struct.unpack('hh4xqqi4x', fcntl.fcntl(fd, fcntl.F_GETLK, "
                + "struct.pack('hh4xqqi4x', fcntl.F_WRLCK, 0, 0, 0, 0)))\nprint('type', t, 'pid', pid if t != 2 else 0)",
                file.toString()));
        assertThat(r.exit()).as(r.out()).isZero();
        return r.out().strip();
    }

    /** Can another process lock {@code file} at once? */
    private static boolean lockableFromElsewhere(Path file) throws Exception {
        return lockableFromElsewhere(file, "lockf");
    }

    private static boolean lockableFromElsewhere(Path file, String call) throws Exception {
        Bounded.Result r = Bounded.run(file.getParent(), List.of("python3", "-c", "import fcntl, sys\n"
                + "f = open(sys.argv[1], 'r+')\ntry:\n  fcntl." + call + "(f, fcntl.LOCK_EX | fcntl.LOCK_NB); print('granted')\n"
                + "except OSError: print('refused')", file.toString()));
        assertThat(r.exit()).as(r.out()).isZero();
        return r.out().strip().equals("granted");
    }

    @Test
    void locksThroughTheMountAreTheSourcesAndFiltersSeeThem() throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Path onSource = source.resolve("f");
        Files.writeString(onSource, "data");
        List<IoParameters> seen = new CopyOnWriteArrayList<>();
        try (FilterManager manager = FilterManager.builder().verifier(true).build()) {
            TestFilters.load(manager, "locks", "370000", b -> b.onPreOperation(MajorFunction.LOCK_CONTROL, (data, objects) -> {
                seen.add(data.parameters());
                return PreOpStatus.SUCCESS_NO_CALLBACK;
            }));
            try (FuseMount m = FuseMount.mount(manager, "locks", source, mnt, 2);
                 FileChannel through = FileChannel.open(mnt.resolve("f"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                // the source's file is locked by another process: the mount's caller is refused
                try (SourceLocker locker = new SourceLocker(onSource)) {
                    assertThat(through.tryLock()).as("a lock through the mount while the source file is locked").isNull();
                    assertThat(getlk(mnt.resolve("f"))).as("F_GETLK through the mount names the source's holder")
                            .isEqualTo("type 1 pid " + locker.p.pid());
                }
                assertThat(getlk(mnt.resolve("f"))).isEqualTo("type 2 pid 0");
                // the mount's caller holds it: a lock on the source file itself is refused, until it lets go
                FileLock onMount = through.tryLock();
                assertThat(onMount).isNotNull();
                assertThat(lockableFromElsewhere(onSource)).as("the source while the mount's caller holds a lock").isFalse();
                onMount.release();
                assertThat(lockableFromElsewhere(onSource)).as("released through the mount, free on the source").isTrue();

                // a lock that waits (SETLKW) is answered off the workers, and granted when the source's holder lets go
                long before = m.requestsByOpcode()[Abi.SETLKW];
                CompletableFuture<FileLock> waiting;
                try (SourceLocker locker = new SourceLocker(onSource)) {
                    waiting = CompletableFuture.supplyAsync(() -> {
                        try {
                            return through.lock(0, 1, false);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                    assertThat(m.awaitRequests(Abi.SETLKW, before + 1, 30_000)).as("the kernel sent the waiting lock").isTrue();
                    Bounded.Result cat = Bounded.run(mnt, List.of("cat", "f"));
                    assertThat(cat.out()).as("the workers still serve while a lock waits").isEqualTo("data");
                    assertThat(waiting).isNotDone();
                }
                FileLock granted = waiting.get(30, TimeUnit.SECONDS);
                assertThat(granted.isValid()).isTrue();
                granted.release();
            }
            assertThat(seen).hasAtLeastOneElementOfType(IoParameters.LockControl.class)
                    .anyMatch(p -> p instanceof IoParameters.LockControl l && l.lock() && l.failImmediately() && !l.test())
                    .anyMatch(p -> p instanceof IoParameters.LockControl l && l.lock() && !l.failImmediately())
                    .anyMatch(p -> p instanceof IoParameters.LockControl l && !l.lock());
        }
    }

    /**
     * {@code flock(2)} locks through the mount are the source's too, and apart from record locks, as Linux keeps them:
     * a flock through the mount stops a flock on the source and the other way round, and neither stops a lockf.
     */
    @Test
    void flockLocksAreTheSourcesAndApartFromRecordLocks() throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Files.writeString(source.resolve("f"), "data");
        List<IoParameters> seen = new CopyOnWriteArrayList<>();
        try (FilterManager manager = FilterManager.builder().verifier(true).build()) {
            TestFilters.load(manager, "locks", "370000", b -> b.onPreOperation(MajorFunction.LOCK_CONTROL, (data, objects) -> {
                seen.add(data.parameters());
                return PreOpStatus.SUCCESS_NO_CALLBACK;
            }));
            try (FuseMount m = FuseMount.mount(manager, "flocks", source, mnt, 2)) {
                try (SourceLocker onSource = new SourceLocker(source.resolve("f"), "flock")) {
                    assertThat(lockableFromElsewhere(mnt.resolve("f"), "flock")).as("a flock through the mount").isFalse();
                    assertThat(lockableFromElsewhere(mnt.resolve("f"), "lockf")).as("a lockf through the mount").isTrue();
                }
                try (SourceLocker onMount = new SourceLocker(mnt.resolve("f"), "flock")) {
                    assertThat(lockableFromElsewhere(source.resolve("f"), "flock")).as("a flock on the source").isFalse();
                }
                assertThat(lockableFromElsewhere(source.resolve("f"), "flock")).as("the holder through the mount ended")
                        .isTrue();
            }
        }
        assertThat(seen).anyMatch(p -> p instanceof IoParameters.LockControl l && l.wholeFile() && l.lock());
    }

    /** A caller waiting for a lock and interrupted: the kernel sends INTERRUPT, the wait ends, the caller returns. */
    @Test
    void anInterruptedWaitEnds() throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Files.writeString(source.resolve("f"), "data");
        try (FilterManager manager = FilterManager.builder().verifier(true).build();
             FuseMount m = FuseMount.mount(manager, "interrupted", source, mnt, 2);
             SourceLocker held = new SourceLocker(source.resolve("f"))) {
            FileChannel through = FileChannel.open(mnt.resolve("f"), StandardOpenOption.READ, StandardOpenOption.WRITE);
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            Thread waiter = Thread.ofPlatform().start(() -> {
                try {
                    through.lock();
                    outcome.complete(null);
                } catch (Throwable t) {
                    outcome.complete(t);
                }
            });
            assertThat(m.awaitRequests(Abi.SETLKW, 1, 30_000)).isTrue();
            long interrupts = m.requestsByOpcode()[Abi.INTERRUPT];
            waiter.interrupt(); // the JDK signals the thread: fcntl ends with EINTR, the kernel sends INTERRUPT
            // the JDK's lock gives FileLockInterruptionException or ClosedByInterruptException, as the race of its
            // own close goes; either way the wait ended
            assertThat(outcome.get(30, TimeUnit.SECONDS)).isInstanceOfAny(ClosedByInterruptException.class,
                    java.nio.channels.FileLockInterruptionException.class);
            waiter.join(30_000);
            assertThat(m.awaitRequests(Abi.INTERRUPT, interrupts + 1, 30_000)).as("the kernel sent INTERRUPT").isTrue();
            assertThat(lockableFromElsewhere(source.resolve("f"))).as("the source's holder still holds it").isFalse();
            assertThatThrownBy(() -> through.lock()).isInstanceOf(java.nio.channels.ClosedChannelException.class);
        }
    }
}
