package dev.altitude.fuse;

import dev.altitude.core.FilterManager;
import dev.altitude.core.Volume;
import dev.altitude.nio.NioBackend;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.cryptomator.jfuse.api.Fuse;
import org.cryptomator.jfuse.api.FuseBuilder;
import org.cryptomator.jfuse.api.FuseMountFailedException;
import org.cryptomator.jfuse.linux.amd64.extr.fuse3.fuse_operations;

/**
 * A volume whose I/O arrives from a FUSE mount of a source directory: every process's I/O under the mount
 * point passes through the volume's filters, then to the source directory. Mounted with
 * {@code default_permissions} (the kernel checks permissions, as the daemon runs as root),
 * {@code allow_other} and {@code attr_timeout=0} (libfuse's high-level API gives each path its own kernel
 * inode, so the two names of a hard link would otherwise show stale sizes and link counts; and a filter may
 * change what a file looks like at any time); a stale mount at the mount point (a daemon killed with {@code kill -9}) is cleaned
 * first. {@link #close()} unmounts and then dismounts the volume.
 */
public final class FuseMount implements Mounted {
    /** Where Debian's fuse3 puts libfuse; jfuse is told explicitly. */
    public static final Path LIBFUSE = Path.of("/lib/x86_64-linux-gnu/libfuse3.so.3");

    private final FilterManager manager;
    private final Volume volume;
    private final Path source;
    private final Path mountPoint;
    private final Fuse fuse;
    private final FuseVolume operations;
    private boolean closed;

    private final Arena upcalls;

    private FuseMount(FilterManager manager, Volume volume, Path source, Path mountPoint, Fuse fuse, FuseVolume operations,
                      Arena upcalls) {
        this.upcalls = upcalls;
        this.manager = manager;
        this.volume = volume;
        this.source = source;
        this.mountPoint = mountPoint;
        this.fuse = fuse;
        this.operations = operations;
    }

    /** Is FUSE usable here: /dev/fuse, libfuse3 and fusermount3? Says what is missing, or null. */
    public static String unavailableReason() {
        if (!Files.exists(Path.of("/dev/fuse"))) {
            return "no /dev/fuse";
        }
        if (!Files.exists(LIBFUSE)) {
            return "no " + LIBFUSE + " (install fuse3)";
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, "fusermount3"))) {
                return null;
            }
        }
        return "no fusermount3 (install fuse3)";
    }

    /** Mounts {@code source} at {@code mountPoint} as volume {@code volumeName} of {@code manager}. */
    public static FuseMount mount(FilterManager manager, String volumeName, Path source, Path mountPoint) throws IOException {
        String missing = unavailableReason();
        if (missing != null) {
            throw new IOException("FUSE is not available: " + missing);
        }
        Path src = source.toRealPath();
        Path mp = mountPoint.toAbsolutePath().normalize();
        cleanStale(mp);
        if (!Files.isDirectory(mp)) {
            throw new java.nio.file.NotDirectoryException(mp + " (the mount point must be a directory)");
        }
        if (mp.startsWith(src) || src.startsWith(mp)) {
            throw new IOException("the mount point and the source directory may not contain each other");
        }
        Volume volume = manager.mountVolume(volumeName, NioBackend.confined(src));
        FuseBuilder builder = Fuse.builder();
        builder.setLibraryPath(LIBFUSE.toString());
        FuseVolume ops = new FuseVolume(volume, builder.errno(), new FuseContext(LIBFUSE));
        Fuse fuse = builder.build(ops);
        Arena upcalls = Arena.ofShared();
        try {
            bindLink(fuse, ops, upcalls);
            fuse.mount("altitude", mp, "-o", "default_permissions,allow_other,attr_timeout=0,fsname=altitude-" + volumeName + ",subtype=altitude");
        } catch (FuseMountFailedException | RuntimeException e) {
            manager.dismountVolume(volumeName);
            upcalls.close();
            throw new IOException("mounting " + src + " at " + mp + " failed: " + e.getMessage(), e);
        }
        return new FuseMount(manager, volume, src, mp, fuse, ops, upcalls);
    }

    /**
     * jfuse 0.7.3 has no {@code link} operation (its {@code Operation} enum lacks it), so hard links would fail
     * with EPERM. The operation is bound here, before mounting, into libfuse's {@code fuse_operations} struct
     * that jfuse fills, with jfuse's own generated binding for that slot (x86-64 Linux).
     */
    private static void bindLink(Fuse fuse, FuseVolume ops, Arena arena) {
        try {
            java.lang.reflect.Field f = Fuse.class.getDeclaredField("fuseOperationsStruct");
            f.setAccessible(true);
            MemorySegment struct = (MemorySegment) f.get(fuse);
            MemorySegment stub = fuse_operations.link.allocate((from, to) ->
                    ops.link(from.reinterpret(Long.MAX_VALUE).getString(0), to.reinterpret(Long.MAX_VALUE).getString(0)), arena);
            fuse_operations.link(struct, stub);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot bind the FUSE link operation: " + e, e);
        }
    }

    /**
     * Unmounts a FUSE mount left at {@code mountPoint} by a daemon that died (lazy, so a busy one goes too). A
     * mount is stale only when the kernel says its daemon is gone ({@code ENOTCONN}); a mount that answers, or
     * does not answer within a few seconds (its daemon may be stopped), belongs to a running daemon and is
     * refused, never taken over.
     */
    public static void cleanStale(Path mountPoint) throws IOException {
        String source = mountedSource(mountPoint);
        if (source == null) {
            return;
        }
        String state = probe(mountPoint);
        if (state != null) {
            throw new IOException(mountPoint + " is the live mount '" + source + "' of a running daemon (" + state
                    + "); stop that daemon first, or mount somewhere else");
        }
        unmount(mountPoint);
    }

    /** Null if the mount at {@code mountPoint} is dead (ENOTCONN); else how it answered. */
    private static String probe(Path mountPoint) throws IOException {
        var answer = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                Files.readAttributes(mountPoint, "unix:ino");
                return "it answers";
            } catch (IOException e) {
                return String.valueOf(e.getMessage()).contains("Transport endpoint is not connected") ? null
                        : "it answers: " + e.getMessage();
            }
        }, r -> Thread.ofPlatform().daemon().name("altitude-mount-probe").start(r));
        try {
            return answer.get(5, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            return "it does not answer within 5 s";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException(e.getCause());
        }
    }

    private static void unmount(Path mountPoint) throws IOException {
        try {
            Process p = new ProcessBuilder(List.of("fusermount3", "-u", "-z", mountPoint.toString()))
                    .redirectErrorStream(true).start();
            var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getInputStream().readAllBytes()).strip();
                } catch (IOException e) {
                    return e.toString();
                }
            });
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("fusermount3 -u " + mountPoint + " did not finish");
            }
            if (p.exitValue() != 0) {
                throw new IOException("fusermount3 -u " + mountPoint + ": " + out.getNow("").strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** The source field of the mount at {@code mountPoint} (per /proc/self/mountinfo), or null if none. */
    static String mountedSource(Path mountPoint) throws IOException {
        String mp = mountPoint.toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f.length > 4 && f[4].replace("\\040", " ").equals(mp)) {
                int dash = java.util.Arrays.asList(f).indexOf("-"); // the optional fields end here; then type, source
                return dash > 0 && dash + 2 < f.length ? f[dash + 2] : "?";
            }
        }
        return null;
    }

    public Volume volume() {
        return volume;
    }

    @Override
    public Path mountPoint() {
        return mountPoint;
    }

    @Override
    public Path source() {
        return source;
    }

    /** Files and directories open through the mount now. */
    public int openHandles() {
        return operations.openHandles();
    }

    /** Unmounts (waiting for the kernel to let go), then dismounts the volume. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            fuse.close();
        } catch (TimeoutException e) {
            unmount(mountPoint); // ours, and it would not let go
        } finally {
            manager.dismountVolume(volume.name());
            upcalls.close();
        }
    }
}
