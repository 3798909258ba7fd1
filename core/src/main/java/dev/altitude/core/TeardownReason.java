package dev.altitude.core;

/** Why an instance is torn down ({@code FLTFL_INSTANCE_TEARDOWN_*}). */
public enum TeardownReason {
    MANUAL(0x1),
    FILTER_UNLOAD(0x2),
    MANDATORY_FILTER_UNLOAD(0x4),
    VOLUME_DISMOUNT(0x8),
    INTERNAL_ERROR(0x10);

    private final int value;

    TeardownReason(int value) {
        this.value = value;
    }

    public int value() {
        return value;
    }
}
