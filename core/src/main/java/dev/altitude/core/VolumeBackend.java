package dev.altitude.core;

/**
 * The file system at the bottom of a volume's stack. {@link #perform} carries out one operation and
 * records its outcome on the callback data (status, information, result). It may throw
 * {@link NtStatusException} for a failure; any other exception completes the operation with
 * {@link NtStatus#UNEXPECTED_IO_ERROR}.
 */
public interface VolumeBackend extends AutoCloseable {

    void perform(CallbackData data);

    /** The file-system type shown to instance setup ("memory", "ext4", "nio:jimfs", …). */
    default String fileSystemType() {
        return "unknown";
    }

    /** What this volume can present to filters; every operation before it happens unless the front end says less. */
    /** Its block size and the alignment of non-cached I/O ({@link Volume#properties()}). */
    default VolumeProperties properties() {
        return VolumeProperties.DEFAULT;
    }

    default VolumeCapabilities capabilities() {
        return VolumeCapabilities.FULL;
    }

    /**
     * A read-only descriptor of {@code file}'s data for a client ({@link Volume#lendFile}), opened beneath the
     * volume's source and following no link; the caller closes it. {@link NtStatus#NOT_SUPPORTED} where the backend
     * has none to give.
     */
    default LentFile lendFile(FileObject file) {
        throw new NtStatusException(NtStatus.NOT_SUPPORTED, "volume type " + fileSystemType() + " lends no descriptors");
    }

    /** Called once when the volume is dismounted. */
    @Override
    default void close() {
    }
}
