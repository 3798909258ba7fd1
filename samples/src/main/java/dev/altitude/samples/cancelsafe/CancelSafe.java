package dev.altitude.samples.cancelsafe;

import dev.altitude.core.CallbackData;
import dev.altitude.core.CallbackDataQueue;
import dev.altitude.core.Context;
import dev.altitude.core.ContextType;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.Instance;
import dev.altitude.core.InstanceSetupFlag;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PreOpStatus;
import dev.altitude.core.RelatedObjects;
import dev.altitude.core.TeardownReason;
import dev.altitude.core.UnloadFlag;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * cancelSafe: pends every read of a file under the operating directory (parameter {@code path}, default
 * {@code /}) in a cancel-safe queue and lets it go on, to the file system, after a delay (parameter
 * {@code delayMillis}, default 15000). A worker, started when the first read is queued, releases them in
 * order. A caller interrupted while its read waits gets a cancellation. Teardown-start disables the queue
 * and releases every parked read at once, downwards, so an unload never waits for the delay.
 */
public final class CancelSafe implements FilterDriver {
    public static final String NAME = "cancelsafe";

    /** Per instance: the queue, each read's release time, the worker, the teardown event. */
    static final class State {
        final CallbackDataQueue queue = new CallbackDataQueue();
        final Map<CallbackData, Long> releaseAt = new LinkedHashMap<>();
        final CountDownLatch teardown = new CountDownLatch(1);
        boolean workerRunning;
    }

    private Filter filter;
    private String operatingPath;
    private long delayNanos;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        String p = config.parameter("path").orElse("/");
        operatingPath = p.endsWith("/") ? p : p + "/";
        delayNanos = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(config.parameter("delayMillis").orElse("15000")));
        filter = manager.registerFilter(FilterRegistration.builder(NAME).altitude("370050")
                .context(ContextType.INSTANCE, (value, type) -> { })
                .onInstanceSetup(this::setup)
                .onInstanceTeardownStart(this::teardownStart)
                .onInstanceQueryTeardown(objects -> NtStatus.SUCCESS)
                .onPreOperation(MajorFunction.READ, this::preRead)
                .onUnload(this::unload)
                .build());
        return filter.startFiltering();
    }

    private NtStatus unload(Set<UnloadFlag> flags) {
        filter.unregister(); // teardown-start of every instance has released the parked reads by then
        return NtStatus.SUCCESS;
    }

    private NtStatus setup(RelatedObjects objects, Set<InstanceSetupFlag> flags, String fileSystemType) {
        try (Context<State> c = filter.allocateContext(ContextType.INSTANCE, new State())) {
            return objects.instance().setContext(ContextType.INSTANCE, null, c, Instance.SetMode.KEEP_IF_EXISTS).status();
        }
    }

    private static State state(Instance instance) {
        try (Context<State> c = instance.<State>getContext(ContextType.INSTANCE, null).orElseThrow()) {
            return c.value();
        }
    }

    private boolean underOperatingPath(CallbackData data) {
        if (data.fileObject() == null) {
            return false;
        }
        String path = data.fileObject().path();
        String parent = path.substring(0, path.lastIndexOf('/') + 1);
        return parent.startsWith(operatingPath);
    }

    private PreOpStatus preRead(CallbackData data, RelatedObjects objects) {
        if (!underOperatingPath(data)) {
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }
        Instance instance = objects.instance();
        State st = state(instance);
        synchronized (st) {
            if (st.queue.insert(data).isFailure()) {
                return PreOpStatus.SUCCESS_NO_CALLBACK; // the queue is disabled: the instance is going away
            }
            st.releaseAt.put(data, System.nanoTime() + delayNanos);
            if (!st.workerRunning) {
                st.workerRunning = true;
                if (instance.queueWorkItem(() -> work(st)).isFailure()) {
                    st.workerRunning = false; // teardown began; teardown-start releases the queue
                }
            }
        }
        return PreOpStatus.PENDING;
    }

    /** Releases queued reads when their time comes, oldest first, until the queue is empty or teardown begins. */
    private static void work(State st) {
        while (true) {
            CallbackData next;
            long at;
            synchronized (st) {
                Iterator<Map.Entry<CallbackData, Long>> it = st.releaseAt.entrySet().iterator();
                if (!it.hasNext()) {
                    st.workerRunning = false;
                    return;
                }
                Map.Entry<CallbackData, Long> e = it.next();
                next = e.getKey();
                at = e.getValue();
            }
            long wait = at - System.nanoTime();
            try {
                if (wait > 0 && st.teardown.await(wait, TimeUnit.NANOSECONDS)) {
                    synchronized (st) {
                        st.workerRunning = false;
                    }
                    return; // teardown-start releases what is left
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                synchronized (st) {
                    st.workerRunning = false;
                }
                return;
            }
            synchronized (st) {
                st.releaseAt.remove(next);
            }
            if (st.queue.remove(next)) { // false: its caller cancelled it meanwhile
                next.completePendedPreOperation(PreOpStatus.SUCCESS_NO_CALLBACK, null);
            }
        }
    }

    private void teardownStart(RelatedObjects objects, TeardownReason reason) {
        State st = state(objects.instance());
        st.queue.disable();
        for (CallbackData d : st.queue.removeAll()) {
            d.completePendedPreOperation(PreOpStatus.SUCCESS_NO_CALLBACK, null); // released downwards, not failed
        }
        synchronized (st) {
            st.releaseAt.clear();
        }
        st.teardown.countDown();
    }
}
