package dev.altitude.core;

/** The flags passed to a {@link FilterUnloadCallback}. */
public enum UnloadFlag {
    /** {@code FLTFL_FILTER_UNLOAD_MANDATORY} (0x1): the unload happens whatever the callback returns. */
    MANDATORY(0x1);

    private final int value;

    UnloadFlag(int value) {
        this.value = value;
    }

    public int value() {
        return value;
    }
}
