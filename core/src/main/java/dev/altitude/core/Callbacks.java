package dev.altitude.core;

import java.util.Set;

/** The callback types of a {@link FilterRegistration}; each is a functional interface. */
public final class Callbacks {
    private Callbacks() {
    }

    /** {@code PFLT_PRE_OPERATION_CALLBACK}. A completion context set on {@code data} is handed to the post-op. */
    @FunctionalInterface
    public interface PreOperation {
        PreOpStatus onPreOperation(CallbackData data, RelatedObjects objects);
    }

    /**
     * {@code PFLT_POST_OPERATION_CALLBACK}. When {@code draining} is true the instance is being torn down
     * before the operation finished: {@code data} is a copy, and the callback should only free what it
     * keeps for the operation and return {@link PostOpStatus#FINISHED_PROCESSING}.
     */
    @FunctionalInterface
    public interface PostOperation {
        PostOpStatus onPostOperation(CallbackData data, RelatedObjects objects, Object completionContext,
                                     boolean draining);
    }

    /** {@code PFLT_INSTANCE_SETUP_CALLBACK}: a warning or error refuses the attach. */
    @FunctionalInterface
    public interface InstanceSetup {
        NtStatus onInstanceSetup(RelatedObjects objects, Set<InstanceSetupFlag> flags, String fileSystemType);
    }

    /** {@code PFLT_INSTANCE_QUERY_TEARDOWN_CALLBACK}: a warning or error refuses a manual detach. */
    @FunctionalInterface
    public interface InstanceQueryTeardown {
        NtStatus onQueryTeardown(RelatedObjects objects);
    }

    /** {@code PFLT_INSTANCE_TEARDOWN_CALLBACK}, used for both teardown start and teardown complete. */
    @FunctionalInterface
    public interface InstanceTeardown {
        void onTeardown(RelatedObjects objects, TeardownReason reason);
    }

    /** {@code PFLT_CONTEXT_CLEANUP_CALLBACK}: runs once, just before a context is freed. */
    @FunctionalInterface
    public interface ContextCleanup {
        void onCleanup(Object value, ContextType type);
    }
}
