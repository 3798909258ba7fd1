package dev.altitude.nio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.CallbackData;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.IoParameters;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.PreOpStatus;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Test filters: pass-through for every major function, optionally recording each operation as
 * {@code "MAJOR path"} (plus the information class or pattern where there is one) into {@link #events}.
 * It counts callbacks that arrive after its unregister returned: {@link #late} must stay zero.
 */
final class Trace {
    final String name;
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    final AtomicReference<Filter> filter = new AtomicReference<>();
    final AtomicLong callbacks = new AtomicLong();
    final AtomicLong late = new AtomicLong();
    volatile boolean record;
    private volatile boolean unregistered;
    /** Instances whose detach returned: a callback to one of them is late too. */
    final java.util.Set<dev.altitude.core.Instance> detached = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private Trace(String name, boolean record) {
        this.name = name;
        this.record = record;
    }

    /** Registers the driver {@code name} with {@code manager} and loads it. */
    static Trace load(FilterManager manager, String name, String altitude, boolean record) {
        Trace t = new Trace(name, record);
        manager.registerDriver(name, () -> (mgr, config) -> {
            FilterRegistration.Builder b = FilterRegistration.builder(name).altitude(altitude)
                    .onInstanceQueryTeardown(objects -> NtStatus.SUCCESS).onUnload(flags -> {
                t.filter.get().unregister();
                t.unregistered = true;
                return NtStatus.SUCCESS;
            });
            b.onPreOperation(MajorFunction.SHUTDOWN, (data, objects) -> {
                t.seen(data, objects, true);
                return PreOpStatus.SUCCESS_NO_CALLBACK;
            });
            for (MajorFunction m : MajorFunction.values()) {
                if (m == MajorFunction.SHUTDOWN) {
                    continue;
                }
                b.onOperation(m, (data, objects) -> {
                    t.seen(data, objects, true);
                    return PreOpStatus.SUCCESS_WITH_CALLBACK;
                }, (data, objects, ctx, draining) -> {
                    t.seen(data, objects, false);
                    return PostOpStatus.FINISHED_PROCESSING;
                });
            }
            Filter f = mgr.registerFilter(b.build());
            t.filter.set(f);
            return f.startFiltering();
        });
        assertThat(manager.loadFilter(name)).isEqualTo(NtStatus.SUCCESS);
        return t;
    }

    private void seen(CallbackData d, dev.altitude.core.RelatedObjects objects, boolean pre) {
        callbacks.incrementAndGet();
        if (unregistered || detached.contains(objects.instance())) {
            late.incrementAndGet();
        }
        if (record && pre) {
            events.add(describe(d));
        }
    }

    static String describe(CallbackData d) {
        String extra = switch (d.parameters()) {
            case IoParameters.QueryInformation q -> " " + q.informationClass();
            case IoParameters.QueryOpen q -> " " + q.informationClass();
            case IoParameters.SetInformation s -> " " + s.informationClass();
            case IoParameters.DirectoryControl dc -> dc.pattern() == null ? "" : " " + dc.pattern();
            case IoParameters.Create c -> " " + c.disposition();
            default -> "";
        };
        return d.majorFunction() + " " + d.fileObject().path() + extra;
    }

    /** The events recorded so far, then forgets them. */
    List<String> take() {
        synchronized (events) {
            List<String> copy = List.copyOf(events);
            events.clear();
            return copy;
        }
    }
}
