package dev.altitude.core;

/** What a pre-operation callback returns ({@code FLT_PREOP_CALLBACK_STATUS}), in the Windows order. */
public enum PreOpStatus {
    /** Continue down the stack and call this filter's post-operation. */
    SUCCESS_WITH_CALLBACK,
    /** Continue down the stack; no post-operation for this filter. */
    SUCCESS_NO_CALLBACK,
    /** The filter keeps the operation and completes it later from any thread. */
    PENDING,
    /**
     * On {@link MajorFunction#QUERY_OPEN}, as {@link #DISALLOW_FSFILTER_IO}; on anything else treated as
     * {@link #SUCCESS_NO_CALLBACK}: there is no other fast I/O path here.
     */
    DISALLOW_FASTIO,
    /** The filter completed the operation with the status it set; only filters above get post-ops. */
    COMPLETE,
    /** Like {@link #SUCCESS_WITH_CALLBACK}, with the post-operation on the requesting thread (always so here). */
    SYNCHRONIZE,
    /**
     * On {@link MajorFunction#QUERY_OPEN}: the filter will not let the query by name pass without an open. The
     * operation stops with {@link NtStatus#FLT_DISALLOW_FAST_IO} (filters above get post-operations, as after
     * {@link #COMPLETE}) and the front end opens, queries and closes instead. Elsewhere as {@link #SUCCESS_NO_CALLBACK}.
     */
    DISALLOW_FSFILTER_IO
}
