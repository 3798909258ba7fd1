package dev.altitude.core;

/**
 * {@code FltGetVolumeProperties}, what a filter that does its own I/O or changes data in blocks needs of a volume:
 * the size of its blocks (the file system's allocation unit, {@code st_blksize}), and the alignment its non-cached
 * I/O asks of offsets, lengths and buffers (1: any, as through the page cache).
 *
 * @param blockSize the file system's block size in bytes (a power of two)
 * @param alignment the alignment of non-cached I/O in bytes (a power of two; 1 for none)
 */
public record VolumeProperties(int blockSize, int alignment) {
    /** A volume that says nothing of itself: 4 KiB blocks, no alignment. */
    public static final VolumeProperties DEFAULT = new VolumeProperties(4096, 1);

    public VolumeProperties {
        if (Integer.bitCount(blockSize) != 1 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("block size and alignment are powers of two: " + blockSize + ", " + alignment);
        }
    }

    /** The properties of the file store holding {@code path}: its block size, and no alignment (cached I/O). */
    public static VolumeProperties of(java.nio.file.FileStore store) {
        try {
            long b = store.getBlockSize();
            return b > 0 && b <= 1 << 30 && Long.bitCount(b) == 1 ? new VolumeProperties((int) b, 1) : DEFAULT;
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return DEFAULT;
        }
    }
}
