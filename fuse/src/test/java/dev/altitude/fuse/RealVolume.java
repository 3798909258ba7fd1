package dev.altitude.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * A file system of a test's own to watch through fanotify, never the machine's root file system: an ext4 or xfs
 * image on a loop device, a tmpfs, or a bind mount of a directory of the test's ext4. Skips (with the reason) where
 * the machine cannot: not root, no mkfs, a kernel without fanotify permission events.
 */
public final class RealVolume implements AutoCloseable {
    public enum Kind { EXT4, XFS, TMPFS, BIND }

    final Kind kind;
    /** Where it is mounted: the path a fanotify volume watches. */
    public final Path mountPoint;
    private final Path dir;
    private final List<Path> mounts = new ArrayList<>();

    private RealVolume(Kind kind, Path dir) {
        this.kind = kind;
        this.dir = dir;
        this.mountPoint = dir.resolve("mnt");
    }

    public static RealVolume make(Kind kind, Path dir) throws IOException, InterruptedException {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "fanotify tests need root");
        String missing = FanotifyVolume.unavailableReason();
        Assumptions.assumeTrue(missing == null, () -> "fanotify tests skipped: " + missing);
        RealVolume v = new RealVolume(kind, dir);
        Files.createDirectories(v.mountPoint);
        switch (kind) {
            case EXT4, BIND -> {
                Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/mkfs.ext4")) || Files.isExecutable(Path.of("/sbin/mkfs.ext4")),
                        "no mkfs.ext4 (e2fsprogs)");
                Path image = dir.resolve("ext4.img");
                v.run("truncate", "-s", "128M", image.toString());
                v.run("mkfs.ext4", "-q", "-F", image.toString());
                if (kind == Kind.EXT4) {
                    v.mount("-o", "loop", image.toString(), v.mountPoint.toString());
                } else {
                    Path whole = dir.resolve("whole");
                    Files.createDirectories(whole);
                    v.mount("-o", "loop", image.toString(), whole.toString());
                    Files.createDirectories(whole.resolve("part"));
                    v.mount("--bind", whole.resolve("part").toString(), v.mountPoint.toString());
                }
            }
            case XFS -> {
                Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/mkfs.xfs")) || Files.isExecutable(Path.of("/sbin/mkfs.xfs")),
                        "no mkfs.xfs (xfsprogs)");
                Path image = dir.resolve("xfs.img");
                v.run("truncate", "-s", "320M", image.toString());
                v.run("mkfs.xfs", "-q", "-f", image.toString());
                v.mount("-o", "loop", image.toString(), v.mountPoint.toString());
            }
            case TMPFS -> v.mount("-t", "tmpfs", "-o", "size=64M", "altitude-test", v.mountPoint.toString());
        }
        return v;
    }

    private void mount(String... args) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("mount"));
        c.addAll(List.of(args));
        run(c.toArray(String[]::new));
        mounts.add(Path.of(args[args.length - 1]));
    }

    private void run(String... command) throws IOException, InterruptedException {
        Bounded.Result r = Bounded.run(dir, List.of(command));
        if (r.exit() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + r.exit() + "): " + r.out());
        }
    }

    /** Runs {@code sh -c script} in the mount point, as root or (with {@code nobody}) as user 65534. */
    public Bounded.Result sh(String script, boolean nobody) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>();
        if (nobody) {
            c.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        }
        c.addAll(List.of("sh", "-c", script));
        return Bounded.run(mountPoint, c);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        for (Path m : mounts.reversed()) {
            Bounded.Result r = Bounded.run(dir, List.of("umount", m.toString()));
            if (r.exit() != 0) {
                Bounded.run(dir, List.of("umount", "-l", m.toString()));
            }
        }
    }
}
