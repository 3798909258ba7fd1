package dev.altitude.test.filters;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.NtStatus;
import java.util.concurrent.CountDownLatch;

/** Starts a thread in its driver entry that its unload never stops (it waits for a latch nobody counts down). */
public final class ThreadLeaver implements FilterDriver {
    public static final CountDownLatch NEVER = new CountDownLatch(1);
    private Filter filter;

    @Override
    public String name() {
        return "threadleaver";
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        filter = manager.registerFilter(FilterRegistration.builder(name()).altitude("300100")
                .onUnload(flags -> {
                    filter.unregister();
                    return NtStatus.SUCCESS;
                }).build());
        Thread.ofPlatform().daemon().name("threadleaver-worker").start(ThreadLeaver::work);
        return filter.startFiltering();
    }

    private static void work() {
        try {
            NEVER.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
