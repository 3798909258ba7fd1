package dev.altitude.core;

import dev.altitude.core.context.ContextBlock;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An open file ({@code FILE_OBJECT}): the volume-relative path it was opened with and the backend's
 * handle once {@code CREATE} succeeded. A front end makes one per open channel or FUSE handle and sends
 * every operation on that handle with it, ending with {@code CLEANUP} and {@code CLOSE}.
 */
public final class FileObject {
    private static final AtomicLong IDS = new AtomicLong();

    private final long id = IDS.incrementAndGet();
    /** Replaced only by a pre-create's redirection ({@link CallbackData#replaceFileName}), before any open succeeded. */
    private volatile String path;
    private volatile Object backendHandle;
    private volatile Stream stream;
    private volatile Holder openedBy;
    /** Stream-handle contexts, one per instance. */
    final java.util.Map<Object, ContextBlock> contexts = new java.util.concurrent.ConcurrentHashMap<>();

    public FileObject(String path) {
        this.path = path;
    }

    /** Unique in this JVM: the stream-handle identity. */
    public long id() {
        return id;
    }

    /** The volume-relative path, '/'-separated, starting with '/'. */
    public String path() {
        return path;
    }

    void rename(String newPath) {
        this.path = newPath;
    }

    public Object backendHandle() {
        return backendHandle;
    }

    public void setBackendHandle(Object handle) {
        this.backendHandle = handle;
    }

    /** The stream (the file's identity on the volume) once a CREATE on this file object succeeded. */
    Stream stream() {
        return stream;
    }

    void bind(Stream stream) {
        this.stream = stream;
    }

    Holder openedBy() {
        return openedBy;
    }

    void openedBy(Holder holder) {
        this.openedBy = holder;
    }

    @Override
    public String toString() {
        return "FileObject#" + id + "(" + path + ")";
    }
}
