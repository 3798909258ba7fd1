package dev.altitude.core;

/** How an unload is requested. */
public enum UnloadMode {
    /** {@code fltmc unload}, {@code FltUnloadFilter}: the filter may refuse. Callback flags are empty. */
    OPTIONAL,
    /** Service stop: the filter is unloaded whatever its callback returns. Callback flags hold MANDATORY. */
    MANDATORY
}
