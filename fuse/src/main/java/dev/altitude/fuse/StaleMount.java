package dev.altitude.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A FUSE mount left at a mount point by a daemon that died ({@code kill -9}). It is stale only when the kernel
 * says its daemon is gone ({@code ENOTCONN}); a mount that answers, or does not answer within a few seconds (its
 * daemon may be stopped), belongs to a running daemon and is refused, never taken over.
 */
final class StaleMount {
    private StaleMount() {
    }

    /** Unmounts (lazily, so a busy one goes too) a dead mount at {@code mountPoint}; refuses a live one. */
    static void clean(Path mountPoint) throws IOException {
        String source = mountedSource(mountPoint);
        if (source == null) {
            return;
        }
        String state = probe(mountPoint);
        if (state != null) {
            throw new IOException(mountPoint + " is the live mount '" + source + "' of a running daemon (" + state
                    + "); stop that daemon first, or mount somewhere else");
        }
        FuseMount.unmount(mountPoint);
    }

    /** Null if the mount at {@code mountPoint} is dead (ENOTCONN); else how it answered. */
    private static String probe(Path mountPoint) throws IOException {
        CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> {
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
        } catch (ExecutionException e) {
            throw new IOException(e.getCause());
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
}
