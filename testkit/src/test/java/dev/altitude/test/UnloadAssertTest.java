package dev.altitude.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.altitude.core.Filter;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.HolderKind;
import dev.altitude.core.Instance;
import dev.altitude.core.NtStatus;
import dev.altitude.core.UnloadMode;
import dev.altitude.core.UnloadReport;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Assertions over the report of an unload under way: what it waits for, where that was taken. */
@Timeout(120)
@ExtendWith(AltitudeExtension.class)
class UnloadAssertTest {

    @Test
    void anUnloadWaitingForAWorkItemSaysSoAndFinishesWhenItEnds(AltitudeRig rig) {
        rig.memoryVolume("vol");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        Filter[] f = new Filter[1];
        rig.register("worker", () -> (m, config) -> {
            f[0] = m.registerFilter(FilterRegistration.builder("worker").altitude("300000").onUnload(flags -> {
                f[0].unregister();
                return NtStatus.SUCCESS;
            }).build());
            return f[0].startFiltering();
        });
        assertThat(rig.manager().loadFilter("worker")).isEqualTo(NtStatus.SUCCESS);
        Instance instance = rig.manager().volume("vol").orElseThrow().instances().getFirst();
        assertThat(instance.queueWorkItem(() -> { // the work item
            running.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })).isEqualTo(NtStatus.SUCCESS);
        Unloads.Pending pending = Unloads.start(rig.manager(), "worker", UnloadMode.MANDATORY);
        UnloadReport waits = pending.awaitWaiting();
        UnloadAssert.assertThatUnload(waits).isBlockedOnlyBy(HolderKind.WORK_ITEM).times(1)
                .takenAt(Sources.lineOf(UnloadAssertTest.class, "// the work item"))
                .isNotBlockedBy(HolderKind.CONTEXT_REFERENCE);
        AssertionError wrong = assertThrows(AssertionError.class,
                () -> UnloadAssert.assertThatUnload(waits).isBlockedBy(HolderKind.PENDED_PRE_OPERATION));
        assertThat(wrong.getMessage()).contains("expected the unload to wait for a PENDED_PRE_OPERATION")
                .contains("WORK_ITEM on instance");
        assertThat(pending.isDone()).isFalse();
        release.countDown();
        assertThat(pending.await(Duration.ofSeconds(30))).isEqualTo(NtStatus.SUCCESS);
        assertThat(rig.manager().filter("worker")).isEmpty();
    }

    @Test
    void aFilterNothingHoldsIsNotBlockedAndAnOpenPortHoldsOne(AltitudeRig rig) {
        rig.memoryVolume("vol");
        rig.load(new dev.altitude.test.filters.NoUnload());
        UnloadAssert.assertThatUnload(rig.explain("nounload")).isNotBlocked().isBlockedOnlyBy();
        rig.load(new dev.altitude.test.filters.Asker());
        UnloadAssert.assertThatUnload(rig.explain("asker")).isBlockedOnlyBy(HolderKind.SERVER_PORT).withDetail("AskerPort");
    }
}
