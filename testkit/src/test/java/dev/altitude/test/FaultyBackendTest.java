package dev.altitude.test;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.CallbackData;
import dev.altitude.core.FileObject;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.HolderKind;
import dev.altitude.core.IoParameters;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.MemoryBackend;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.PreOpStatus;
import dev.altitude.core.UnloadMode;
import dev.altitude.core.Volume;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Faults below a filter drive its failure and pended paths; the rig checks the post-operations stayed once each. */
@Timeout(120)
@ExtendWith(AltitudeExtension.class)
class FaultyBackendTest {
    private final List<String> posts = new CopyOnWriteArrayList<>();

    /** A filter that records each post-operation's status (and whether it was drained). */
    private void loadRecorder(AltitudeRig rig) {
        Filter[] f = new Filter[1];
        rig.register("recorder", () -> (m, config) -> {
            f[0] = m.registerFilter(FilterRegistration.builder("recorder").altitude("300000")
                    .onOperation(MajorFunction.WRITE, (d, o) -> PreOpStatus.SUCCESS_WITH_CALLBACK, (d, o, c, draining) -> {
                        posts.add((draining ? "drained " : "") + d.status().name());
                        return PostOpStatus.FINISHED_PROCESSING;
                    })
                    .onUnload(flags -> {
                        f[0].unregister();
                        return NtStatus.SUCCESS;
                    }).build());
            return f[0].startFiltering();
        });
        assertThat(rig.manager().loadFilter("recorder")).isEqualTo(NtStatus.SUCCESS);
    }

    private static NtStatus write(Volume v, String path) {
        return v.perform(new CallbackData(new FileObject(path), new IoParameters.Write(0, ByteBuffer.wrap(new byte[] {1}))));
    }

    private static void create(Volume v, String path) {
        v.perform(new CallbackData(new FileObject(path), new IoParameters.Create(Set.of(IoParameters.Access.WRITE_DATA),
                IoParameters.CreateDisposition.OPEN_IF, Set.of(), IoParameters.FileKind.FILE, null, null)));
    }

    @Test
    void aFailureRuleFailsTheOperationsItTakesAndTheFilterSeesTheStatus(AltitudeRig rig) {
        FaultyBackend disk = FaultyBackend.over(new MemoryBackend()).fail(FaultyBackend.on(MajorFunction.WRITE, "/full"),
                NtStatus.DISK_FULL, 2);
        Volume v = rig.volume("vol", disk);
        create(v, "/full");
        create(v, "/other");
        loadRecorder(rig);
        assertThat(write(v, "/full")).isEqualTo(NtStatus.DISK_FULL);
        assertThat(write(v, "/other")).isEqualTo(NtStatus.SUCCESS);
        assertThat(write(v, "/full")).isEqualTo(NtStatus.DISK_FULL);
        assertThat(write(v, "/full")).as("the rule took its two").isEqualTo(NtStatus.SUCCESS);
        assertThat(posts).containsExactly("STATUS_DISK_FULL", "STATUS_SUCCESS", "STATUS_DISK_FULL", "STATUS_SUCCESS");
        assertThat(disk.injected()).isEqualTo(2);
    }

    @Test
    void aHeldOperationIsInFlightBelowTheFilterAndItsOwedPostOperationIsDrainedOnceAtTheUnload(AltitudeRig rig) throws Exception {
        FaultyBackend disk = FaultyBackend.over(new MemoryBackend());
        FaultyBackend.Hold held = disk.hold(MajorFunction.WRITE, "/slow");
        Volume v = rig.volume("vol", disk);
        create(v, "/slow");
        loadRecorder(rig);
        CompletableFuture<NtStatus> w = CompletableFuture.supplyAsync(() -> write(v, "/slow"));
        try {
            heldThenUnloaded(rig, held, w);
        } finally {
            held.release(); // whatever failed: the write must not stay in flight (the rig's end would wait for it)
        }
        assertThat(w.get()).isEqualTo(NtStatus.SUCCESS);
        assertThat(posts).as("no second post-operation when it completes").hasSize(1);
        assertThat(rig.problems()).isEmpty();
    }

    private void heldThenUnloaded(AltitudeRig rig, FaultyBackend.Hold held, CompletableFuture<NtStatus> w) throws Exception {
        assertThat(held.awaitHeld(1, Duration.ofSeconds(30))).isTrue();
        UnloadAssert.assertThatUnload(rig.explain("recorder")).isBlockedOnlyBy(HolderKind.OWED_POST_OPERATION).times(1)
                .withDetail("WRITE /slow");
        // the unload drains the owed post-operation while the write still waits below
        assertThat(rig.unload("recorder", UnloadMode.MANDATORY)).isEqualTo(NtStatus.SUCCESS);
        assertThat(posts).containsExactly("drained STATUS_SUCCESS");
        assertThat(w).isNotDone();
    }

    @Test
    void aDelayRuleTakesTheOperationsItNamesAndMakesThemLateNotDifferent(AltitudeRig rig) {
        FaultyBackend disk = FaultyBackend.over(new MemoryBackend()).delay(MajorFunction.WRITE, Duration.ofMillis(1));
        Volume v = rig.volume("vol", disk);
        create(v, "/f");
        assertThat(disk.injected()).as("a create is not a write").isZero();
        loadRecorder(rig);
        assertThat(write(v, "/f")).isEqualTo(NtStatus.SUCCESS);
        assertThat(disk.injected()).as("the write was delayed").isEqualTo(1);
        assertThat(posts).containsExactly("STATUS_SUCCESS");
    }
}
