package dev.altitude.fuse;

import java.io.IOException;
import java.nio.file.Path;

/** A mounted volume, whichever front end serves it ({@link FuseMount} on libfuse, or the kernel protocol). */
public interface Mounted extends AutoCloseable {
    Path source();

    Path mountPoint();

    /** Unmounts and dismounts the volume. */
    @Override
    void close() throws IOException;
}
