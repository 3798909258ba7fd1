package dev.altitude.samples.ctx;

import dev.altitude.core.CallbackData;
import dev.altitude.core.Context;
import dev.altitude.core.ContextType;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.Instance;
import dev.altitude.core.IoParameters;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.PreOpStatus;
import dev.altitude.core.RelatedObjects;
import dev.altitude.core.UnloadFlag;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * ctx: file, stream and stream-handle contexts. On every successful create it gets or creates each one with
 * keep-if-exists, and when another thread won the race it drops its own and uses the winner's. The stream
 * context counts creates, cleanups and closes and follows renames; every context's cleanup reports what it
 * held, once, into {@link #cleanups()}.
 */
public final class Ctx implements FilterDriver {
    public static final String NAME = "ctx";

    /** A per-file or per-stream record: its name (renames update it) and its counters. */
    public static final class Counters {
        public volatile String name;
        public final AtomicInteger creates = new AtomicInteger();
        public final AtomicInteger cleanups = new AtomicInteger();
        public final AtomicInteger closes = new AtomicInteger();

        Counters(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return name + " creates=" + creates + " cleanups=" + cleanups + " closes=" + closes;
        }
    }

    private final List<String> cleanups = new CopyOnWriteArrayList<>();
    private Filter filter;

    /** "TYPE name creates=… cleanups=… closes=…", one per context freed, in order. */
    public List<String> cleanups() {
        return cleanups;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        FilterRegistration.Builder b = FilterRegistration.builder(NAME).altitude("370070")
                .onInstanceQueryTeardown(objects -> NtStatus.SUCCESS)
                .onPostOperation(MajorFunction.CREATE, this::postCreate)
                .onPreOperation(MajorFunction.CLEANUP, (data, objects) -> count(data, objects, c -> c.cleanups))
                .onPreOperation(MajorFunction.CLOSE, (data, objects) -> count(data, objects, c -> c.closes))
                .onPostOperation(MajorFunction.SET_INFORMATION, this::postSetInformation)
                .onUnload(this::unload);
        for (ContextType t : List.of(ContextType.FILE, ContextType.STREAM, ContextType.STREAM_HANDLE)) {
            b.context(t, (value, type) -> cleanups.add(type + " " + value));
        }
        filter = manager.registerFilter(b.build());
        return filter.startFiltering();
    }

    private NtStatus unload(Set<UnloadFlag> flags) {
        filter.unregister(); // deletes every context: each cleanup runs once
        return NtStatus.SUCCESS;
    }

    /** Gets the context of {@code type} on the file, or makes one; the loser of a race uses the winner's. */
    private Context<Counters> getOrCreate(Instance instance, ContextType type, CallbackData data, Supplier<Counters> make) {
        var existing = instance.<Counters>getContext(type, data.fileObject());
        if (existing.isPresent()) {
            return existing.get();
        }
        Context<Counters> mine = filter.allocateContext(type, make.get());
        Instance.SetResult<Counters> r = instance.setContext(type, data.fileObject(), mine, Instance.SetMode.KEEP_IF_EXISTS);
        if (r.status().equals(NtStatus.FLT_CONTEXT_ALREADY_DEFINED)) {
            mine.close(); // never linked: freed now, its cleanup runs
            return r.existing();
        }
        return mine;
    }

    private PostOpStatus postCreate(CallbackData data, RelatedObjects objects, Object context, boolean draining) {
        if (draining || data.status().isFailure() || data.fileObject() == null) {
            return PostOpStatus.FINISHED_PROCESSING;
        }
        String path = data.fileObject().path();
        Instance in = objects.instance();
        try (Context<Counters> file = getOrCreate(in, ContextType.FILE, data, () -> new Counters(path));
             Context<Counters> stream = getOrCreate(in, ContextType.STREAM, data, () -> new Counters(path));
             Context<Counters> handle = getOrCreate(in, ContextType.STREAM_HANDLE, data, () -> new Counters(path))) {
            file.value().creates.incrementAndGet();
            stream.value().creates.incrementAndGet();
            handle.value().creates.incrementAndGet();
        } catch (NtStatusException e) {
            if (!e.status().equals(NtStatus.FLT_DELETING_OBJECT)) {
                throw e;
            } // the filter is unloading: no new context (the ones got so far are closed)
        }
        return PostOpStatus.FINISHED_PROCESSING;
    }

    private PreOpStatus count(CallbackData data, RelatedObjects objects, java.util.function.Function<Counters, AtomicInteger> which) {
        for (ContextType t : List.of(ContextType.STREAM, ContextType.STREAM_HANDLE)) {
            objects.instance().<Counters>getContext(t, data.fileObject()).ifPresent(c -> {
                which.apply(c.value()).incrementAndGet();
                c.close();
            });
        }
        return PreOpStatus.SUCCESS_NO_CALLBACK;
    }

    private PostOpStatus postSetInformation(CallbackData data, RelatedObjects objects, Object context, boolean draining) {
        IoParameters.SetInformation s = data.parameters(IoParameters.SetInformation.class);
        if (!draining && data.status().isSuccess() && s.information() instanceof IoParameters.FileInformation.Rename r) {
            objects.instance().<Counters>getContext(ContextType.STREAM, data.fileObject()).ifPresent(c -> {
                c.value().name = r.target();
                c.close();
            });
        }
        return PostOpStatus.FINISHED_PROCESSING;
    }
}
