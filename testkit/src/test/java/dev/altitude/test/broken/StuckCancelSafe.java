package dev.altitude.test.broken;

import dev.altitude.core.CallbackData;
import dev.altitude.core.CallbackDataQueue;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PreOpStatus;
import dev.altitude.core.RelatedObjects;
import dev.altitude.core.TeardownReason;
import dev.altitude.core.UnloadFlag;
import java.util.Set;

/**
 * The cancelsafe sample cut down: reads are pended in a cancel-safe queue and each read's work item lets the one
 * before it go on; its teardown-start disables the queue but forgets the reads still in it, so they are never
 * completed and the unload waits for them for ever.
 */
public final class StuckCancelSafe implements FilterDriver {
    public static final String NAME = "stuckcancelsafe";

    private Filter filter;
    private final CallbackDataQueue queue = new CallbackDataQueue();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        filter = manager.registerFilter(FilterRegistration.builder(NAME).altitude("370050")
                .onPreOperation(MajorFunction.READ, this::preRead)
                .onInstanceTeardownStart(this::teardownStart)
                .onInstanceQueryTeardown(objects -> NtStatus.SUCCESS)
                .onUnload(this::unload)
                .build());
        return filter.startFiltering();
    }

    private NtStatus unload(Set<UnloadFlag> flags) {
        filter.unregister();
        return NtStatus.SUCCESS;
    }

    private PreOpStatus preRead(CallbackData data, RelatedObjects objects) {
        if (queue.insert(data).isFailure()) { // the read that waits here is one teardown-start forgets
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }
        if (queue.size() >= 2) {
            objects.instance().queueWorkItem(this::releaseOldest); // refused once teardown began: then it waits there
        }
        return PreOpStatus.PENDING;
    }

    /** Lets the oldest queued read go on (the newest waits for the next read). */
    private void releaseOldest() {
        CallbackData d = queue.remove();
        if (d != null) {
            d.completePendedPreOperation(PreOpStatus.SUCCESS_NO_CALLBACK, null);
        }
    }

    private void teardownStart(RelatedObjects objects, TeardownReason reason) {
        queue.disable(); // the bug: the reads still queued are never completed (removeAll, then complete each)
    }
}
