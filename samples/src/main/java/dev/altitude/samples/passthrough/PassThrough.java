package dev.altitude.samples.passthrough;

import dev.altitude.core.CallbackData;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.OperationFlag;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.PreOpStatus;
import dev.altitude.core.RelatedObjects;
import dev.altitude.core.UnloadFlag;
import java.util.Set;
import java.util.function.Consumer;

/**
 * passThrough: a pre- and a post-operation for every major function, doing nothing but (optionally)
 * tracing. It is the benchmark filter: what a filter costs when it does no work. The parameter
 * {@code skip=cached} (or {@code paging}, or {@code cached+paging}) registers its read and write rows with
 * {@code SKIP_CACHED_IO} / {@code SKIP_PAGING_IO}, so a FUSE mount may serve reads from the page cache.
 */
public final class PassThrough implements FilterDriver {
    public static final String NAME = "passthrough";
    private final Consumer<String> trace;
    private Filter filter;

    public PassThrough() {
        this(null);
    }

    /** With {@code trace}: one line per callback, {@code "pre <instance> <MAJOR> <path>"} or {@code "post ..."}. */
    public PassThrough(Consumer<String> trace) {
        this.trace = trace;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        // registered under the name it is loaded by: several pass-through filters can be loaded at once
        OperationFlag[] skip;
        try {
            skip = skips(config.parameter("skip").orElse(""));
        } catch (IllegalArgumentException e) {
            return NtStatus.INVALID_PARAMETER;
        }
        FilterRegistration.Builder b = FilterRegistration.builder(config.name()).altitude("370030")
                .onInstanceQueryTeardown(objects -> NtStatus.SUCCESS)
                .onUnload(this::unload);
        for (MajorFunction m : MajorFunction.values()) {
            if (m == MajorFunction.SHUTDOWN) {
                b.onPreOperation(m, (data, objects) -> {
                    trace("pre", data, objects);
                    return PreOpStatus.SUCCESS_NO_CALLBACK; // a shutdown has no post-operation
                });
            } else {
                OperationFlag[] flags = m == MajorFunction.READ || m == MajorFunction.WRITE ? skip : new OperationFlag[0];
                if (trace == null) {
                    b.onOperation(m, (data, objects) -> PreOpStatus.SUCCESS_WITH_CALLBACK,
                            (data, objects, context, draining) -> PostOpStatus.FINISHED_PROCESSING, flags); // nothing at all
                } else {
                    b.onOperation(m, this::pre, this::post, flags);
                }
            }
        }
        filter = manager.registerFilter(b.build());
        return filter.startFiltering();
    }

    /** {@code skip}'s flags: {@code cached}, {@code paging}, joined with {@code +}; empty for none. */
    static OperationFlag[] skips(String skip) {
        if (skip.isEmpty()) {
            return new OperationFlag[0];
        }
        return java.util.Arrays.stream(skip.split("\\+")).map(w -> switch (w) {
            case "cached" -> OperationFlag.SKIP_CACHED_IO;
            case "paging" -> OperationFlag.SKIP_PAGING_IO;
            default -> throw new IllegalArgumentException("skip=" + skip + ": cached, paging or cached+paging");
        }).toArray(OperationFlag[]::new);
    }

    private PreOpStatus pre(CallbackData data, RelatedObjects objects) {
        trace("pre", data, objects);
        return PreOpStatus.SUCCESS_WITH_CALLBACK;
    }

    private PostOpStatus post(CallbackData data, RelatedObjects objects, Object context, boolean draining) {
        trace(draining ? "drain" : "post", data, objects);
        return PostOpStatus.FINISHED_PROCESSING;
    }

    private void trace(String what, CallbackData data, RelatedObjects objects) {
        if (trace != null) {
            trace.accept(what + " " + objects.instance().name() + " " + data.majorFunction() + " "
                    + (data.fileObject() == null ? "-" : data.fileObject().path()));
        }
    }

    private NtStatus unload(Set<UnloadFlag> flags) {
        filter.unregister();
        return NtStatus.SUCCESS;
    }
}
