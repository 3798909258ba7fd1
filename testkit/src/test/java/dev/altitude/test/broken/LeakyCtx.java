package dev.altitude.test.broken;

import dev.altitude.core.CallbackData;
import dev.altitude.core.Context;
import dev.altitude.core.ContextType;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.Instance;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.PreOpStatus;
import dev.altitude.core.RelatedObjects;
import dev.altitude.core.UnloadFlag;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The ctx sample cut down to its stream context, with the mistake a filter makes most: the context its cleanup
 * pre-operation gets is not released on one path, so the stream context is never freed and unregister waits
 * for its reference.
 */
public final class LeakyCtx implements FilterDriver {
    public static final String NAME = "leakyctx";

    private Filter filter;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        filter = manager.registerFilter(FilterRegistration.builder(NAME).altitude("370070")
                .context(ContextType.STREAM, (value, type) -> { })
                .onPostOperation(MajorFunction.CREATE, this::postCreate)
                .onPreOperation(MajorFunction.CLEANUP, this::preCleanup)
                .onInstanceQueryTeardown(objects -> NtStatus.SUCCESS)
                .onUnload(this::unload)
                .build());
        return filter.startFiltering();
    }

    private NtStatus unload(Set<UnloadFlag> flags) {
        filter.unregister();
        return NtStatus.SUCCESS;
    }

    private PostOpStatus postCreate(CallbackData data, RelatedObjects objects, Object context, boolean draining) {
        if (draining || data.status().isFailure() || data.fileObject() == null) {
            return PostOpStatus.FINISHED_PROCESSING;
        }
        try (Context<AtomicInteger> mine = filter.allocateContext(ContextType.STREAM, new AtomicInteger())) {
            Instance.SetResult<AtomicInteger> r = objects.instance().setContext(ContextType.STREAM, data.fileObject(), mine,
                    Instance.SetMode.KEEP_IF_EXISTS);
            if (r.existing() != null) {
                r.existing().close();
            }
        }
        return PostOpStatus.FINISHED_PROCESSING;
    }

    private PreOpStatus preCleanup(CallbackData data, RelatedObjects objects) {
        // the bug: the reference this get returns is never closed (try-with-resources would)
        var stream = objects.instance().<AtomicInteger>getContext(ContextType.STREAM, data.fileObject());
        if (stream.isPresent()) {
            int cleanups = stream.get().value().incrementAndGet();
            if (cleanups > 1_000_000) {
                stream.get().close();
            }
        }
        return PreOpStatus.SUCCESS_NO_CALLBACK;
    }
}
