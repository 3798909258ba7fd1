package dev.altitude.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;

/**
 * The daemon's run directory ({@code control.sock}, {@code ports/}, {@code daemon.lock}), made safe before
 * anything is created in it. It and every directory above it must belong to root or the daemon's own user
 * and be writable by nobody else (a directory above may be sticky, as {@code /tmp} is: there only an entry's
 * owner may rename it); the run directory and {@code ports} may not be links. So no other user can rename
 * a socket away and serve a fake one in its place. {@link #lock} then makes the directory this daemon's
 * alone: a second daemon with the same run directory is refused, naming the first.
 */
final class RunDirectory {
    static final String LOCK = "daemon.lock";
    static final String PORTS = "ports";
    private static final int S_ISVTX = 01000;

    private RunDirectory() {
    }

    /** Raised for a run directory that is not safe; the message says why, in one line. */
    static final class UnsafeException extends IOException {
        UnsafeException(String message) {
            super(message);
        }
    }

    /**
     * Makes {@code runDir} and its {@code ports} (0755 and 0700, not through a link) if they are missing,
     * then checks them and every directory above: the checks described above. Returns the run directory's
     * real path.
     */
    static Path prepare(Path runDir) throws IOException {
        Path dir = runDir.toAbsolutePath().normalize();
        Path parent = dir.getParent();
        if (parent != null && Files.notExists(parent, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(parent); // checked below, like every directory above
        }
        Path realParent = parent == null ? null : parent.toRealPath();
        int me = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid"); // this process's user
        if (realParent != null) {
            for (Path p = realParent; p != null; p = p.getParent()) {
                checkOwnerAndMode(p, true, me);
            }
        }
        Path real = realParent == null ? dir : realParent.resolve(dir.getFileName());
        makeDirectory(real, "rwxr-xr-x");
        checkOwnerAndMode(real, false, me);
        Path ports = real.resolve(PORTS);
        makeDirectory(ports, "rwx------");
        checkOwnerAndMode(ports, false, me);
        return real;
    }

    private static void makeDirectory(Path dir, String mode) throws IOException {
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
        } catch (FileAlreadyExistsException e) {
            // there already (perhaps as a link, which the check refuses)
        }
    }

    private static void checkOwnerAndMode(Path dir, boolean above, int me) throws IOException {
        Map<String, Object> a;
        try {
            a = Files.readAttributes(dir, "unix:uid,mode,isDirectory,isSymbolicLink", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new UnsafeException(dir + " does not exist");
        }
        if ((Boolean) a.get("isSymbolicLink")) {
            throw new UnsafeException(dir + " is a symbolic link; a run directory and its ports may not be links");
        }
        if (!(Boolean) a.get("isDirectory")) {
            throw new UnsafeException(dir + " is not a directory");
        }
        int uid = (Integer) a.get("uid");
        if (uid != 0 && uid != me) {
            throw new UnsafeException(dir + " belongs to " + userName(dir) + " (uid " + uid + "): "
                    + (above ? "a directory above the run directory" : "the run directory") + " must belong to root or "
                    + System.getProperty("user.name") + ", so no other user can put a socket in it");
        }
        int mode = (Integer) a.get("mode");
        boolean writableByOthers = (mode & 0022) != 0;
        if (writableByOthers && !(above && (mode & S_ISVTX) != 0)) {
            throw new UnsafeException(dir + " is writable by " + ((mode & 0002) != 0 ? "every user" : "its group")
                    + " (mode " + Integer.toOctalString(mode & 07777) + "): "
                    + (above ? "a directory above the run directory" : "the run directory")
                    + " may be writable by its owner only" + (above ? " (or be sticky, as /tmp is)" : ""));
        }
    }

    private static String userName(Path p) {
        try {
            return Files.getOwner(p, LinkOption.NOFOLLOW_LINKS).getName();
        } catch (IOException e) {
            return "another user";
        }
    }

    /** The held lock of a run directory: released (and the daemon's pid removed) when closed. */
    record Lock(FileChannel channel, FileLock lock) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            channel.truncate(0);
            lock.release();
            channel.close();
        }
    }

    /**
     * Takes {@code daemon.lock} (not through a link) and writes this process's pid into it; refuses with the
     * running daemon's pid when another daemon holds it. The kernel releases the lock when a daemon dies.
     */
    static Lock lock(Path runDir) throws IOException {
        Path file = runDir.resolve(LOCK);
        FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        if (lock == null) {
            ByteBuffer b = ByteBuffer.allocate(32);
            ch.read(b, 0);
            ch.close();
            String pid = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).strip();
            throw new UnsafeException("another altitude daemon" + (pid.isEmpty() ? "" : " (pid " + pid + ")")
                    + " uses the run directory " + runDir + "; stop it first, or give this one another --run-dir");
        }
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        ch.force(false);
        return new Lock(ch, lock);
    }
}
