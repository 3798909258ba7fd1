package dev.altitude.core;

/** What a post-operation callback returns ({@code FLT_POSTOP_CALLBACK_STATUS}). */
public enum PostOpStatus {
    FINISHED_PROCESSING,
    /** The filter completes the post-processing later (never allowed while draining). */
    MORE_PROCESSING_REQUIRED,
    DISALLOW_FSFILTER_IO
}
