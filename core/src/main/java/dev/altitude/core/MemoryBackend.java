package dev.altitude.core;

import dev.altitude.core.IoParameters.CreateDisposition;
import dev.altitude.core.IoParameters.FileInformation;
import dev.altitude.core.IoParameters.FileKind;
import dev.altitude.core.IoResult.DirectoryEntry;
import java.nio.ByteBuffer;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * A small in-memory file system to put under a volume: files and directories in one map, guarded by one
 * lock. It is meant for tests, examples and dispatch benchmarks, not for data.
 *
 * <p>Results: {@code QUERY_INFORMATION} gives {@link IoResult.FileAttributes} (kind and size; times of the epoch)
 * or, for {@code FileStandardInformation}, {@link IoResult.StandardInformation}; {@code DIRECTORY_CONTROL} an
 * {@link IoResult.DirectoryListing}; {@code QUERY_VOLUME_INFORMATION} an {@link IoResult.VolumeInformation};
 * {@code READ} and {@code WRITE} set the byte count as information. Other operations are
 * {@code STATUS_INVALID_DEVICE_REQUEST}.
 */
public final class MemoryBackend implements VolumeBackend {

    private static final FileTime EPOCH = FileTime.fromMillis(0);

    private static final class Node {
        final boolean directory;
        byte[] data = new byte[0];
        int size;

        Node(boolean directory) {
            this.directory = directory;
        }
    }

    private final TreeMap<String, Node> nodes = new TreeMap<>();

    public MemoryBackend() {
        nodes.put("/", new Node(true));
    }

    @Override
    public String fileSystemType() {
        return "memory";
    }

    @Override
    public synchronized void perform(CallbackData data) {
        FileObject fo = data.fileObject();
        switch (data.parameters()) {
            case IoParameters.Create c -> create(data, fo.path(), c);
            case IoParameters.Read r -> read(data, file(fo), r);
            case IoParameters.Write w -> write(data, file(fo), w);
            case IoParameters.QueryInformation q -> query(data, fo.path(), q.informationClass());
            case IoParameters.QueryOpen q -> query(data, fo.path(), q.informationClass()); // no links here
            case IoParameters.SetInformation s -> setInformation(data, fo.path(), s);
            case IoParameters.DirectoryControl d -> list(data, fo.path());
            case IoParameters.Cleanup c -> data.complete(NtStatus.SUCCESS, 0);
            case IoParameters.Close c -> data.complete(NtStatus.SUCCESS, 0);
            case IoParameters.FlushBuffers f -> data.complete(NtStatus.SUCCESS, 0);
            case IoParameters.Shutdown s -> data.complete(NtStatus.SUCCESS, 0);
            case IoParameters.AcquireForSectionSynchronization a -> data.complete(NtStatus.SUCCESS, 0);
            case IoParameters.NotifyChangeDirectory n -> data.complete(NtStatus.NOT_SUPPORTED, 0);
            case IoParameters.QueryVolumeInformation q -> {
                long used = 0;
                for (Node n : nodes.values()) {
                    used += n.data.length;
                }
                data.setResult(new IoResult.VolumeInformation("memory", "memory", used, 0, 0, 1, false));
                data.complete(NtStatus.SUCCESS, 0);
            }
            case IoParameters.QuerySecurity q -> data.complete(NtStatus.INVALID_DEVICE_REQUEST, 0);
            case IoParameters.SetSecurity s -> data.complete(NtStatus.INVALID_DEVICE_REQUEST, 0);
            case IoParameters.QueryEa q -> data.complete(NtStatus.INVALID_DEVICE_REQUEST, 0);
            case IoParameters.SetEa s -> data.complete(NtStatus.INVALID_DEVICE_REQUEST, 0);
            case IoParameters.LockControl l -> data.complete(NtStatus.INVALID_DEVICE_REQUEST, 0);
            case IoParameters.FileSystemControl f -> data.complete(NtStatus.INVALID_DEVICE_REQUEST, 0);
        }
    }

    private void query(CallbackData data, String path, FileInformationClass c) {
        Node n = existing(path);
        data.setResult(c == FileInformationClass.FileStandardInformation
                ? new IoResult.StandardInformation(n.size, n.directory)
                : new IoResult.FileAttributes(n.directory ? FileKind.DIRECTORY : FileKind.FILE, n.size, EPOCH,
                        EPOCH, EPOCH, null, null, null, null, -1, -1, 1, -1));
        data.complete(NtStatus.SUCCESS, 0);
    }

    /** A sealed memory file of the file's content now. */
    @Override
    public synchronized LentFile lendFile(FileObject file) {
        Node n = existing(file.path());
        if (n.directory) {
            throw new NtStatusException(NtStatus.FILE_IS_A_DIRECTORY, file.path());
        }
        return LentFile.snapshot(Arrays.copyOf(n.data, n.size));
    }

    /** The content of a file, for tests; null if there is none. */
    public synchronized byte[] content(String path) {
        Node n = nodes.get(path);
        return n == null || n.directory ? null : Arrays.copyOf(n.data, n.size);
    }

    private Node existing(String path) {
        Node n = nodes.get(path);
        if (n == null) {
            throw new NtStatusException(NtStatus.OBJECT_NAME_NOT_FOUND, path);
        }
        return n;
    }

    private Node file(FileObject fo) {
        Node n = existing(fo.path());
        if (n.directory) {
            throw new NtStatusException(NtStatus.FILE_IS_A_DIRECTORY, fo.path());
        }
        return n;
    }

    private static String parent(String path) {
        int i = path.lastIndexOf('/');
        return i <= 0 ? "/" : path.substring(0, i);
    }

    private void create(CallbackData data, String path, IoParameters.Create c) {
        Node n = nodes.get(path);
        Node parent = nodes.get(parent(path));
        if (parent == null || !parent.directory) {
            throw new NtStatusException(NtStatus.OBJECT_PATH_NOT_FOUND, path);
        }
        CreateDisposition d = c.disposition();
        if (n == null) {
            if (d == CreateDisposition.OPEN || d == CreateDisposition.OVERWRITE) {
                throw new NtStatusException(NtStatus.OBJECT_NAME_NOT_FOUND, path);
            }
            nodes.put(path, new Node(c.kind() == FileKind.DIRECTORY));
        } else if (d == CreateDisposition.CREATE) {
            throw new NtStatusException(NtStatus.OBJECT_NAME_COLLISION, path);
        } else if (d == CreateDisposition.SUPERSEDE || d == CreateDisposition.OVERWRITE
                || d == CreateDisposition.OVERWRITE_IF) {
            n.size = 0;
        }
        data.fileObject().setBackendHandle(path);
        data.complete(NtStatus.SUCCESS, 0);
    }

    private static void read(CallbackData data, Node n, IoParameters.Read r) {
        ByteBuffer buf = r.buffer();
        if (r.offset() >= n.size) {
            data.complete(NtStatus.END_OF_FILE, 0);
            return;
        }
        int count = (int) Math.min(buf.remaining(), n.size - r.offset());
        buf.put(n.data, (int) r.offset(), count);
        data.complete(NtStatus.SUCCESS, count);
    }

    private static void write(CallbackData data, Node n, IoParameters.Write w) {
        ByteBuffer buf = w.buffer();
        long offset = w.offset() == IoParameters.Write.APPEND ? n.size : w.offset();
        int count = buf.remaining();
        long end = offset + count;
        if (end > Integer.MAX_VALUE - 8) {
            throw new NtStatusException(NtStatus.DISK_FULL, "memory backend files stop at 2 GiB");
        }
        if (end > n.data.length) {
            n.data = Arrays.copyOf(n.data, (int) Math.max(end, n.data.length * 2L));
        }
        buf.get(n.data, (int) offset, count);
        n.size = (int) Math.max(n.size, end);
        data.complete(NtStatus.SUCCESS, count);
    }

    private void setInformation(CallbackData data, String path, IoParameters.SetInformation s) {
        Node n = existing(path);
        switch (s.information()) {
            case FileInformation.EndOfFile eof -> {
                int size = Math.toIntExact(eof.size());
                if (size > n.data.length) {
                    n.data = Arrays.copyOf(n.data, size);
                } else if (size < n.size) {
                    Arrays.fill(n.data, size, n.size, (byte) 0);
                }
                n.size = size;
            }
            case FileInformation.Disposition d -> {
                if (d.deleteFile()) {
                    if (n.directory && !nodes.subMap(path + "/", path + "0").isEmpty()) {
                        throw new NtStatusException(NtStatus.DIRECTORY_NOT_EMPTY, path);
                    }
                    nodes.remove(path);
                }
            }
            case FileInformation.Rename r -> {
                if (r.kind() != IoParameters.RenameKind.MOVE) {
                    throw new NtStatusException(NtStatus.NOT_SUPPORTED, r.kind() + " rename");
                }
                String target = r.target();
                if (nodes.containsKey(target) && !r.replaceIfExists()) {
                    throw new NtStatusException(NtStatus.OBJECT_NAME_COLLISION, target);
                }
                nodes.remove(path);
                nodes.put(target, n);
            }
            case FileInformation.Basic b -> { } // keeps no times
            case FileInformation.Allocation al -> throw new NtStatusException(NtStatus.NOT_SUPPORTED, "allocation of ranges");
        }
        data.complete(NtStatus.SUCCESS, 0);
    }

    private void list(CallbackData data, String path) {
        Node dir = existing(path);
        if (!dir.directory) {
            throw new NtStatusException(NtStatus.NOT_A_DIRECTORY, path);
        }
        String prefix = path.endsWith("/") ? path : path + "/";
        List<DirectoryEntry> entries = new ArrayList<>();
        for (var e : nodes.tailMap(prefix, false).entrySet()) {
            String key = e.getKey();
            if (!key.startsWith(prefix)) {
                break;
            }
            String rest = key.substring(prefix.length());
            if (!rest.isEmpty() && rest.indexOf('/') < 0) {
                Node n = e.getValue();
                entries.add(new DirectoryEntry(rest, n.directory ? FileKind.DIRECTORY : FileKind.FILE, n.size));
            }
        }
        data.setResult(new IoResult.DirectoryListing(entries));
        data.complete(NtStatus.SUCCESS, entries.size());
    }
}
