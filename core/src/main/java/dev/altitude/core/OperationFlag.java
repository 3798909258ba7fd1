package dev.altitude.core;

/**
 * {@code FLTFL_OPERATION_REGISTRATION_*}: which reads and writes a row of the operation table does not want.
 * A front end tells how an operation reached it ({@link IoParameters.IoPath}); the filter manager calls no
 * callback of the row for the kinds it skips. The FUSE front end also chooses by them how an open file's data
 * travels: through the kernel alone (no instance filters reads or writes), through the page cache (every instance
 * that does skips cached I/O: it sees the page fills, as paging I/O), or direct (every read and write reaches the
 * filters, as non-cached I/O).
 */
public enum OperationFlag {
    /** Reads and writes the cache serves (a front end that has a cache of its own). */
    SKIP_CACHED_IO(0x1),
    /** Reads and writes that fill or flush a cache's pages. */
    SKIP_PAGING_IO(0x2);

    private final int value;

    OperationFlag(int value) {
        this.value = value;
    }

    /** The Windows bit ({@code FLTFL_OPERATION_REGISTRATION_SKIP_CACHED_IO} is 0x1, {@code SKIP_PAGING_IO} 0x2). */
    public int value() {
        return value;
    }
}
