package dev.altitude.core;

/** {@code FLTFL_REGISTRATION_*}. */
public enum RegistrationFlag {
    /** A service stop (mandatory unload) fails with {@link NtStatus#NOT_SUPPORTED}; optional unloads still work. */
    DO_NOT_SUPPORT_SERVICE_STOP(0x1);

    private final int value;

    RegistrationFlag(int value) {
        this.value = value;
    }

    public int value() {
        return value;
    }
}
