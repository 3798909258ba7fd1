package dev.altitude.core;

/** What keeps a filter or an instance from finishing its unload (a rundown holder). */
public enum HolderKind {
    /** A pre- or post-operation callback running now. */
    RUNNING_CALLBACK,
    /** An operation past this instance's pre-operation whose post-operation is owed (drainable). */
    OWED_POST_OPERATION,
    /** An operation the filter pended in its pre-operation and has not completed. */
    PENDED_PRE_OPERATION,
    /** An operation whose post-operation returned MORE_PROCESSING_REQUIRED and was not completed. */
    PENDED_POST_OPERATION,
    /** A reference on a context (allocate, get, set, reference) not released. */
    CONTEXT_REFERENCE,
    /** An object reference on the filter, an instance or a volume not dereferenced. */
    OBJECT_REFERENCE,
    /** A generic work item queued or running. */
    WORK_ITEM,
    /** A file the filter opened and has not closed. */
    OPEN_FILE,
    /** I/O the filter issued that has not completed. */
    FILTER_IO,
    /** An attach (instance setup) in progress. */
    ATTACH_IN_PROGRESS,
    /** A server port still open. */
    SERVER_PORT,
    /** A connected client port. */
    CLIENT_PORT,
    /** A thread blocked sending a message to user mode. */
    BLOCKED_SENDER,
    /** A file lent to a client with a message, not yet closed by the client nor ended with its message. */
    LENT_FILE
}
