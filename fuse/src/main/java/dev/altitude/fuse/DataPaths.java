package dev.altitude.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * How each open file's data travels, chosen per open from what the attached instances want
 * ({@link dev.altitude.core.OperationFlag}), and the kernel passthrough backing of each node.
 *
 * <p>The kernel holds a node in one I/O mode at a time: while one of its opens is in passthrough, every other open
 * must name the same backing file ({@code FOPEN_PASSTHROUGH}, else the open fails with EIO), and while one uses the
 * page cache no open may be in passthrough. So an open that wants the page cache or direct I/O while the node has
 * passthrough opens is answered {@code FOPEN_PASSTHROUGH | FOPEN_DIRECT_IO} with the node's backing (direct I/O
 * overrides passthrough for its reads and writes: its filters see every one, a superset of the page fills a
 * page-cache open would give them), and one that could use passthrough while the node has page-cache opens uses the
 * page cache. The backing file is the source file opened read-write by the daemon, registered with
 * {@code FUSE_DEV_IOC_BACKING_OPEN} at the node's first passthrough open and closed after its last.
 */
final class DataPaths {
    /** An open file's data path, fastest first. */
    enum Mode {
        /** Reads and writes never leave the kernel ({@code FOPEN_PASSTHROUGH}): no instance filters them. */
        PASSTHROUGH,
        /** The page cache answers reads; the daemon sees page fills, as paging I/O. */
        PAGE_CACHE,
        /** Every read and write reaches the filters ({@code FOPEN_DIRECT_IO}), as non-cached I/O. */
        DIRECT
    }

    /** The mode an open got and, when it holds the node's backing (passthrough, or direct beside it), its id. */
    record Opened(Mode mode, int backingId) {
        int openFlags() {
            return switch (mode) {
                case PASSTHROUGH -> Abi.FOPEN_PASSTHROUGH;
                case PAGE_CACHE -> 0;
                case DIRECT -> backingId != 0 ? Abi.FOPEN_DIRECT_IO | Abi.FOPEN_PASSTHROUGH : Abi.FOPEN_DIRECT_IO;
            };
        }
    }

    private static final class NodeIo {
        int cached;
        int passthrough;
        int backingId;
        int backingFd = -1;
    }

    private final int deviceFd;
    private volatile boolean passthrough;
    private final Map<Long, NodeIo> nodes = new HashMap<>();

    DataPaths(int deviceFd) {
        this.deviceFd = deviceFd;
    }

    /** INIT agreed on kernel passthrough. */
    void enablePassthrough() {
        passthrough = true;
    }

    boolean passthroughEnabled() {
        return passthrough;
    }

    /**
     * The mode of a new open of {@code node}: {@code wanted} where the node's other opens allow it. {@code dataFd} is
     * the open's source descriptor, reopened read-write for the node's backing file.
     */
    synchronized Opened open(long node, Mode wanted, int dataFd) {
        NodeIo n = nodes.computeIfAbsent(node, k -> new NodeIo());
        Mode mode = wanted;
        if (mode == Mode.PASSTHROUGH && (!passthrough || dataFd < 0 || n.cached > 0)) {
            mode = Mode.PAGE_CACHE;
        }
        if (mode == Mode.PAGE_CACHE && n.passthrough > 0) {
            mode = Mode.DIRECT;
        }
        if (mode == Mode.PASSTHROUGH && n.passthrough == 0 && !registerBacking(n, dataFd)) {
            mode = Mode.PAGE_CACHE;
        }
        boolean backed = mode == Mode.PASSTHROUGH || n.passthrough > 0; // a direct open beside passthrough ones too
        if (backed) {
            n.passthrough++;
        } else if (mode == Mode.PAGE_CACHE) {
            n.cached++;
        }
        if (n.cached == 0 && n.passthrough == 0) {
            nodes.remove(node);
        }
        return new Opened(mode, backed ? n.backingId : 0);
    }

    /** The release of an open of {@code node}; the last open that holds the backing lets go of it. */
    synchronized void release(long node, Opened opened) {
        NodeIo n = nodes.get(node);
        if (n == null) {
            return;
        }
        if (opened.backingId() != 0) {
            if (--n.passthrough == 0) {
                closeBacking(n);
            }
        } else if (opened.mode() == Mode.PAGE_CACHE) {
            n.cached--;
        }
        if (n.cached <= 0 && n.passthrough <= 0) {
            nodes.remove(node);
            if (nodes.isEmpty()) {
                notifyAll(); // awaitIdle
            }
        }
    }

    /** Waits until no node has a passthrough or page-cache open; false after {@code millis}. */
    synchronized boolean awaitIdle(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (!nodes.isEmpty()) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }

    /** Nodes with a registered backing file and opens through the page cache, now. */
    synchronized int[] counts() {
        int cached = 0;
        int backed = 0;
        for (NodeIo n : nodes.values()) {
            cached += n.cached;
            backed += n.passthrough > 0 ? 1 : 0;
        }
        return new int[] {backed, cached};
    }

    private boolean registerBacking(NodeIo n, int dataFd) {
        int fd;
        try {
            fd = Libc.open("/proc/self/fd/" + dataFd, Libc.O_RDWR | Libc.O_CLOEXEC);
        } catch (Libc.Errno e) {
            return false; // a read-only source, say: the page cache then
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment map = a.allocate(Abi.BACKING_MAP);
            map.fill((byte) 0);
            map.set(JAVA_INT, Abi.BACKING_MAP.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("fd")), fd);
            n.backingId = Libc.ioctl(deviceFd, Abi.DEV_IOC_BACKING_OPEN, map);
            n.backingFd = fd;
            return true;
        } catch (Libc.Errno e) {
            Libc.close(fd); // EPERM without CAP_SYS_ADMIN, ELOOP on a stacked source
            return false;
        }
    }

    private void closeBacking(NodeIo n) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment id = a.allocate(JAVA_INT);
            id.set(JAVA_INT, 0, n.backingId);
            Libc.ioctl(deviceFd, Abi.DEV_IOC_BACKING_CLOSE, id);
        } catch (Libc.Errno e) {
            // the connection is gone (unmounted): the kernel dropped its backing files with it
        }
        Libc.close(n.backingFd);
        n.backingFd = -1;
    }

    /** At unmount: every backing file still registered. */
    synchronized void closeAll() {
        for (NodeIo n : nodes.values()) {
            if (n.backingFd >= 0) {
                closeBacking(n);
            }
        }
        nodes.clear();
        notifyAll();
    }
}
