package dev.altitude.core;

/** Why instance setup is called ({@code FLTFL_INSTANCE_SETUP_*}). */
public enum InstanceSetupFlag {
    AUTOMATIC_ATTACHMENT(0x1),
    MANUAL_ATTACHMENT(0x2),
    NEWLY_MOUNTED_VOLUME(0x4),
    DETACHED_VOLUME(0x8),
    DEV_VOLUME(0x10),
    TRUSTED_VOLUME(0x20);

    private final int value;

    InstanceSetupFlag(int value) {
        this.value = value;
    }

    public int value() {
        return value;
    }
}
