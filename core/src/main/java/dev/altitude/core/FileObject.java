package dev.altitude.core;

import java.util.concurrent.atomic.AtomicLong;

/**
 * An open file ({@code FILE_OBJECT}): the volume-relative path it was opened with and the backend's
 * handle once {@code CREATE} succeeded. A front end makes one per open channel or FUSE handle and sends
 * every operation on that handle with it, ending with {@code CLEANUP} and {@code CLOSE}.
 */
public final class FileObject {
    private static final AtomicLong IDS = new AtomicLong();

    private final long id = IDS.incrementAndGet();
    private final String path;
    private volatile Object backendHandle;

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

    public Object backendHandle() {
        return backendHandle;
    }

    public void setBackendHandle(Object handle) {
        this.backendHandle = handle;
    }

    @Override
    public String toString() {
        return "FileObject#" + id + "(" + path + ")";
    }
}
