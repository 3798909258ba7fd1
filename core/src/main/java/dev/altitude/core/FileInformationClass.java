package dev.altitude.core;

/** The {@code FILE_INFORMATION_CLASS} values that query and set information use. */
public enum FileInformationClass {
    FileBasicInformation(4),
    FileStandardInformation(5),
    FileAccessInformation(8),
    FileRenameInformation(10),
    FileLinkInformation(11),
    FileDispositionInformation(13),
    FilePositionInformation(14),
    FileAllInformation(18),
    FileAllocationInformation(19),
    FileEndOfFileInformation(20),
    FileNetworkOpenInformation(34),
    FileAttributeTagInformation(35),
    FileNormalizedNameInformation(48),
    FileDispositionInformationEx(64),
    FileRenameInformationEx(65),
    /** Not a Windows class: POSIX mode bits, owner and group, as a Linux file system has them. */
    FilePosixInformation(1000);

    private final int code;

    FileInformationClass(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
