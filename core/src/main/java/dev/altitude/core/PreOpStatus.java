package dev.altitude.core;

/** What a pre-operation callback returns ({@code FLT_PREOP_CALLBACK_STATUS}), in the Windows order. */
public enum PreOpStatus {
    /** Continue down the stack and call this filter's post-operation. */
    SUCCESS_WITH_CALLBACK,
    /** Continue down the stack; no post-operation for this filter. */
    SUCCESS_NO_CALLBACK,
    /** The filter keeps the operation and completes it later from any thread. */
    PENDING,
    /** Treated as {@link #SUCCESS_NO_CALLBACK}: there is no fast I/O path here. */
    DISALLOW_FASTIO,
    /** The filter completed the operation with the status it set; only filters above get post-ops. */
    COMPLETE,
    /** Like {@link #SUCCESS_WITH_CALLBACK}, with the post-operation on the requesting thread (always so here). */
    SYNCHRONIZE,
    DISALLOW_FSFILTER_IO
}
