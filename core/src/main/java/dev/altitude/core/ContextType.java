package dev.altitude.core;

/**
 * Context types ({@code FLT_*_CONTEXT}). Transaction and section contexts have no counterpart here.
 * A file context and a stream context are kept apart but live the same life: this file system has no
 * alternate data streams.
 */
public enum ContextType {
    VOLUME(0x1),
    INSTANCE(0x2),
    FILE(0x4),
    STREAM(0x8),
    STREAM_HANDLE(0x10);

    private final int value;

    ContextType(int value) {
        this.value = value;
    }

    public int value() {
        return value;
    }

    boolean perFile() {
        return this == FILE || this == STREAM || this == STREAM_HANDLE;
    }
}
