package dev.altitude.core;

/** The I/O major functions, with their Windows names and codes ({@code IRP_MJ_*}). */
public enum MajorFunction {
    CREATE(0x00),
    CREATE_NAMED_PIPE(0x01),
    CLOSE(0x02),
    READ(0x03),
    WRITE(0x04),
    QUERY_INFORMATION(0x05),
    SET_INFORMATION(0x06),
    QUERY_EA(0x07),
    SET_EA(0x08),
    FLUSH_BUFFERS(0x09),
    QUERY_VOLUME_INFORMATION(0x0A),
    SET_VOLUME_INFORMATION(0x0B),
    DIRECTORY_CONTROL(0x0C),
    FILE_SYSTEM_CONTROL(0x0D),
    DEVICE_CONTROL(0x0E),
    INTERNAL_DEVICE_CONTROL(0x0F),
    SHUTDOWN(0x10),
    LOCK_CONTROL(0x11),
    CLEANUP(0x12),
    CREATE_MAILSLOT(0x13),
    QUERY_SECURITY(0x14),
    SET_SECURITY(0x15),
    POWER(0x16),
    SYSTEM_CONTROL(0x17),
    DEVICE_CHANGE(0x18),
    QUERY_QUOTA(0x19),
    SET_QUOTA(0x1A),
    PNP(0x1B),
    /**
     * Not an IRP but a callback the filter manager presents as one, as Windows does ({@code (UCHAR)-1}): a mapping of
     * a file is being made ({@code FileChannel.map}); a pre-operation may refuse it.
     */
    ACQUIRE_FOR_SECTION_SYNCHRONIZATION(-1),
    /**
     * Not an IRP either ({@code (UCHAR)-7}): a file's information asked for by its name, with no handle opened
     * ({@code NtQueryInformationByName}, Windows' {@code FastIoQueryOpen}); {@link IoParameters.QueryOpen}. A front end
     * sends it only where every instance that sees opens has a callback for it ({@link Volume#queriesByName()}); a
     * pre-operation returning {@link PreOpStatus#DISALLOW_FSFILTER_IO} (or a post-operation
     * {@link PostOpStatus#DISALLOW_FSFILTER_IO}) makes the front end take the open, query and close instead.
     */
    QUERY_OPEN(-7);

    private static final MajorFunction[] BY_CODE = values();

    private final int code;

    MajorFunction(int code) {
        this.code = code;
    }

    /** The {@code IRP_MJ_*} code. */
    public int code() {
        return code;
    }

    /** This function's bit in a set of them ({@code Volume.isFilteredAny}). */
    public long bit() {
        return 1L << ordinal();
    }

    /** {@code IRP_MJ_CREATE}. */
    public String windowsName() {
        return "IRP_MJ_" + name();
    }

    public static MajorFunction ofCode(int code) {
        if (code == ACQUIRE_FOR_SECTION_SYNCHRONIZATION.code) {
            return ACQUIRE_FOR_SECTION_SYNCHRONIZATION;
        }
        if (code == QUERY_OPEN.code) {
            return QUERY_OPEN;
        }
        if (code < 0 || code >= PNP.code + 1) {
            throw new NtStatusException(NtStatus.INVALID_PARAMETER, "no major function " + code);
        }
        return BY_CODE[code];
    }

    static final int COUNT = BY_CODE.length;
}
