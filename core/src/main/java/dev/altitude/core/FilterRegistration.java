package dev.altitude.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * {@code FLT_REGISTRATION}, built declaratively: the operations with their pre and post callbacks, the
 * flags, the unload callback and the instance callbacks, plus what Windows keeps in the registry (the
 * default altitude, the default instance name, whether instances attach automatically).
 *
 * <pre>{@code
 * FilterRegistration.builder("scanner")
 *     .altitude("265000")
 *     .onPostOperation(MajorFunction.CREATE, this::postCreate)
 *     .onPreOperation(MajorFunction.WRITE, this::preWrite)
 *     .onUnload(this::unload)
 *     .build();
 * }</pre>
 *
 * {@link FilterManager#registerFilter} validates it and refuses a bad one with a precise status.
 */
public final class FilterRegistration {

    /** One row of the operation table ({@code FLT_OPERATION_REGISTRATION}), with its {@code Flags}. */
    public record Operation(MajorFunction majorFunction, Callbacks.PreOperation pre, Callbacks.PostOperation post,
                            Set<OperationFlag> flags) {
        public Operation {
            flags = flags.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(flags));
        }

        public Operation(MajorFunction majorFunction, Callbacks.PreOperation pre, Callbacks.PostOperation post) {
            this(majorFunction, pre, post, Set.of());
        }
    }

    private final String name;
    private final String altitude;
    private final String defaultInstanceName;
    private final boolean automaticAttachment;
    private final Set<RegistrationFlag> flags;
    private final List<Operation> operations;
    private final FilterUnloadCallback unload;
    private final Callbacks.InstanceSetup instanceSetup;
    private final Callbacks.InstanceQueryTeardown queryTeardown;
    private final Callbacks.InstanceTeardown teardownStart;
    private final Callbacks.InstanceTeardown teardownComplete;
    private final List<ContextRegistration> contexts;

    /** One row of the context table ({@code FLT_CONTEXT_REGISTRATION}): a type and its cleanup callback. */
    public record ContextRegistration(ContextType type, Callbacks.ContextCleanup cleanup) {
    }

    private FilterRegistration(Builder b) {
        this.name = b.name;
        this.altitude = b.altitude;
        this.defaultInstanceName = b.defaultInstanceName != null ? b.defaultInstanceName : b.name + " Instance";
        this.automaticAttachment = b.automaticAttachment;
        this.flags = Collections.unmodifiableSet(EnumSet.copyOf(b.flags));
        this.operations = List.copyOf(b.operations);
        this.unload = b.unload;
        this.instanceSetup = b.instanceSetup;
        this.queryTeardown = b.queryTeardown;
        this.teardownStart = b.teardownStart;
        this.teardownComplete = b.teardownComplete;
        this.contexts = List.copyOf(b.contexts);
    }

    public List<ContextRegistration> contexts() {
        return contexts;
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    public String name() {
        return name;
    }

    public String altitude() {
        return altitude;
    }

    public String defaultInstanceName() {
        return defaultInstanceName;
    }

    public boolean automaticAttachment() {
        return automaticAttachment;
    }

    public Set<RegistrationFlag> flags() {
        return flags;
    }

    public List<Operation> operations() {
        return operations;
    }

    public FilterUnloadCallback unloadCallback() {
        return unload;
    }

    Callbacks.InstanceSetup instanceSetup() {
        return instanceSetup;
    }

    Callbacks.InstanceQueryTeardown queryTeardown() {
        return queryTeardown;
    }

    Callbacks.InstanceTeardown teardownStart() {
        return teardownStart;
    }

    Callbacks.InstanceTeardown teardownComplete() {
        return teardownComplete;
    }

    /** The status {@code registerFilter} returns for this registration: SUCCESS, or why it is refused. */
    NtStatus validate(StringBuilder why) {
        if (name == null || name.isBlank()) {
            why.append("the filter has no name");
            return NtStatus.INVALID_PARAMETER;
        }
        if (altitude == null || !Altitude.isValid(altitude)) {
            why.append("filter '").append(name).append("' has no valid altitude: '").append(altitude)
                    .append("' (decimal digits with at most one '.')");
            return NtStatus.INVALID_PARAMETER;
        }
        EnumSet<MajorFunction> pre = EnumSet.noneOf(MajorFunction.class);
        EnumSet<MajorFunction> post = EnumSet.noneOf(MajorFunction.class);
        for (Operation op : operations) {
            if (op.majorFunction() == null || (op.pre() == null && op.post() == null)) {
                why.append("an operation row of '").append(name).append("' has no major function or no callback");
                return NtStatus.INVALID_PARAMETER;
            }
            if ((op.pre() != null && !pre.add(op.majorFunction()))
                    || (op.post() != null && !post.add(op.majorFunction()))) {
                why.append("filter '").append(name).append("' registers ").append(op.majorFunction())
                        .append(" twice");
                return NtStatus.FLT_DUPLICATE_ENTRY;
            }
            if (op.post() != null && op.majorFunction() == MajorFunction.SHUTDOWN) {
                why.append("IRP_MJ_SHUTDOWN has no post-operation");
                return NtStatus.INVALID_PARAMETER;
            }
        }
        EnumSet<ContextType> types = EnumSet.noneOf(ContextType.class);
        for (ContextRegistration c : contexts) {
            if (c.type() == null || !types.add(c.type())) {
                why.append("filter '").append(name).append("' registers context type ").append(c.type())
                        .append(" twice or without a type");
                return NtStatus.FLT_INVALID_CONTEXT_REGISTRATION;
            }
        }
        return NtStatus.SUCCESS;
    }

    /** Builds a {@link FilterRegistration}. */
    public static final class Builder {
        private final String name;
        private String altitude;
        private String defaultInstanceName;
        private boolean automaticAttachment = true;
        private final EnumSet<RegistrationFlag> flags = EnumSet.noneOf(RegistrationFlag.class);
        private final List<Operation> operations = new ArrayList<>();
        private FilterUnloadCallback unload;
        private Callbacks.InstanceSetup instanceSetup;
        private Callbacks.InstanceQueryTeardown queryTeardown;
        private Callbacks.InstanceTeardown teardownStart;
        private Callbacks.InstanceTeardown teardownComplete;
        private final List<ContextRegistration> contexts = new ArrayList<>();

        private Builder(String name) {
            this.name = name;
        }

        /** The default instance's altitude (the registry's {@code Instances\DefaultInstance\Altitude}). */
        public Builder altitude(String altitude) {
            this.altitude = altitude;
            return this;
        }

        /** The default instance's name; by default "{@code <filter> Instance}". */
        public Builder defaultInstanceName(String instanceName) {
            this.defaultInstanceName = instanceName;
            return this;
        }

        /** Registry instance flag 0x1: no automatic attach when filtering starts or a volume mounts. */
        public Builder suppressAutomaticAttachment() {
            this.automaticAttachment = false;
            return this;
        }

        public Builder flags(RegistrationFlag... flags) {
            this.flags.addAll(List.of(flags));
            return this;
        }

        public Builder onOperation(MajorFunction major, Callbacks.PreOperation pre, Callbacks.PostOperation post,
                                   OperationFlag... flags) {
            operations.add(new Operation(major, pre, post, Set.of(flags)));
            return this;
        }

        public Builder onPreOperation(MajorFunction major, Callbacks.PreOperation pre, OperationFlag... flags) {
            return onOperation(major, pre, null, flags);
        }

        public Builder onPostOperation(MajorFunction major, Callbacks.PostOperation post, OperationFlag... flags) {
            return onOperation(major, null, post, flags);
        }

        public Builder onUnload(FilterUnloadCallback unload) {
            this.unload = unload;
            return this;
        }

        public Builder onInstanceSetup(Callbacks.InstanceSetup setup) {
            this.instanceSetup = setup;
            return this;
        }

        public Builder onInstanceQueryTeardown(Callbacks.InstanceQueryTeardown queryTeardown) {
            this.queryTeardown = queryTeardown;
            return this;
        }

        public Builder onInstanceTeardownStart(Callbacks.InstanceTeardown start) {
            this.teardownStart = start;
            return this;
        }

        public Builder onInstanceTeardownComplete(Callbacks.InstanceTeardown complete) {
            this.teardownComplete = complete;
            return this;
        }

        /** Registers a context type the filter allocates, with an optional cleanup callback. */
        public Builder context(ContextType type, Callbacks.ContextCleanup cleanup) {
            contexts.add(new ContextRegistration(type, cleanup));
            return this;
        }

        public FilterRegistration build() {
            return new FilterRegistration(this);
        }
    }
}
