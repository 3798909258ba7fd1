package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A volume that presents less than every operation (as a fanotify volume does): what instance setup sees, what an
 * attach says of pre-operations the volume cannot present, and post-operations with no pre-operation.
 */
class VolumeCapabilitiesTest extends ManagerFixture {
    /** Opens and reads before they happen; writes, cleanups and renames reported afterwards. */
    static final VolumeCapabilities FANOTIFY_LIKE = new VolumeCapabilities(EnumSet.of(MajorFunction.CREATE, MajorFunction.READ),
            EnumSet.of(MajorFunction.WRITE, MajorFunction.CLEANUP, MajorFunction.SET_INFORMATION), false, false, true);

    private final MemoryBackend inner = new MemoryBackend();
    private final List<String> backendCalls = Collections.synchronizedList(new ArrayList<>());
    private final Volume real = manager.mountVolume("real", new VolumeBackend() {
        @Override
        public void perform(CallbackData data) {
            backendCalls.add(data.majorFunction().name());
            inner.perform(data);
        }

        @Override
        public String fileSystemType() {
            return "fanotify:ext4";
        }

        @Override
        public VolumeCapabilities capabilities() {
            return FANOTIFY_LIKE;
        }
    });

    @Test
    void instanceSetupSeesTheCapabilitiesAndMayRefuseTheVolume() {
        List<String> seen = new ArrayList<>();
        TestFilter.load(manager, "protector", "300", b -> b.onInstanceSetup((objects, flags, fsType) -> {
            VolumeCapabilities c = objects.volume().capabilities();
            seen.add(objects.volume().name() + " " + fsType + " setInformation=" + c.presents(MajorFunction.SET_INFORMATION));
            return c.presents(MajorFunction.SET_INFORMATION) ? NtStatus.SUCCESS : NtStatus.FLT_DO_NOT_ATTACH;
        }).onPreOperation(MajorFunction.SET_INFORMATION, (d, o) -> PreOpStatus.SUCCESS_NO_CALLBACK));
        assertThat(seen).containsExactlyInAnyOrder("vol memory setInformation=true", "real fanotify:ext4 setInformation=false");
        assertThat(manager.volume("real").orElseThrow().instances()).isEmpty();
        assertThat(volume.instances()).hasSize(1);
        assertThat(volume.instances().getFirst().attachStatus()).isEqualTo(NtStatus.SUCCESS);
    }

    @Test
    void aPreOperationTheVolumeCannotPresentIsToldAtAttachNeverSilentlySkipped() {
        TestFilter.load(manager, "writes", "300", b -> b.onPreOperation(MajorFunction.WRITE, (d, o) -> PreOpStatus.SUCCESS_NO_CALLBACK)
                .onPreOperation(MajorFunction.CREATE, (d, o) -> PreOpStatus.SUCCESS_NO_CALLBACK));
        Instance onReal = real.instances().getFirst();
        assertThat(onReal.attachStatus()).isEqualTo(NtStatus.FLT_PRE_OPERATIONS_NOT_DELIVERED);
        assertThat(onReal.attachStatus().isWarning()).isTrue();
        assertThat(onReal.undeliveredPreOperations()).containsExactly(MajorFunction.WRITE);
        assertThat(manager.diagnostics().stream().filter(d -> d.kind() == Diagnostic.Kind.PRE_OPERATIONS_NOT_DELIVERED))
                .singleElement().satisfies(d -> assertThat(d.message()).contains("real").contains("[WRITE]"));
        assertThat(volume.instances().getFirst().attachStatus()).isEqualTo(NtStatus.SUCCESS);
        // a manual attach says so too
        assertThat(manager.attach("writes", "real", "second", "250").attachStatus())
                .isEqualTo(NtStatus.FLT_PRE_OPERATIONS_NOT_DELIVERED);
    }

    @Test
    void aCompletedOperationRunsEachPostOperationOnceFromTheLowestUpWithNoPreOperationAndNoBackend() {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        for (String[] f : new String[][] {{"high", "300"}, {"mid", "200"}, {"low", "100"}}) {
            TestFilter.load(manager, f[0], f[1], b -> {
                b.onPreOperation(MajorFunction.CLEANUP, (d, o) -> {
                    events.add("pre " + f[0]);
                    return PreOpStatus.SUCCESS_WITH_CALLBACK;
                });
                if (!f[0].equals("mid")) { // mid has no post-operation: it sees nothing of a completed cleanup
                    b.onPostOperation(MajorFunction.CLEANUP, (d, o, c, draining) -> {
                        events.add("post " + f[0] + " " + d.status().name() + " " + d.fileObject().path() + " context=" + c
                                + " draining=" + draining);
                        return PostOpStatus.FINISHED_PROCESSING;
                    });
                }
                return b;
            });
        }
        backendCalls.clear();
        CallbackData d = new CallbackData(new FileObject("/written.txt"), new IoParameters.Cleanup(), new Requestor(42, 1000, 1000));
        d.complete(NtStatus.SUCCESS, 0);
        assertThat(real.completed(d)).isEqualTo(NtStatus.SUCCESS);
        assertThat(events).containsExactly("post low STATUS_SUCCESS /written.txt context=null draining=false",
                "post high STATUS_SUCCESS /written.txt context=null draining=false");
        assertThat(backendCalls).isEmpty();
    }

    @Test
    void aCompletedOperationOnADismountedVolumeRunsNothing() {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        TestFilter.load(manager, "post", "300", b -> b.onPostOperation(MajorFunction.CLEANUP, (d, o, c, draining) -> {
            events.add("post");
            return PostOpStatus.FINISHED_PROCESSING;
        }));
        assertThat(manager.dismountVolume("real")).isEqualTo(NtStatus.SUCCESS);
        CallbackData d = new CallbackData(new FileObject("/x"), new IoParameters.Cleanup());
        d.complete(NtStatus.SUCCESS, 0);
        assertThat(real.completed(d)).isEqualTo(NtStatus.VOLUME_DISMOUNTED);
        assertThat(events).isEmpty();
    }

    @Test
    void aFullVolumePresentsEverything() {
        assertThat(volume.capabilities()).isEqualTo(VolumeCapabilities.FULL);
        assertThat(EnumSet.allOf(MajorFunction.class)).allMatch(volume.capabilities()::presents);
        assertThat(FANOTIFY_LIKE.postOnly()).isEqualTo(Set.of(MajorFunction.WRITE, MajorFunction.CLEANUP, MajorFunction.SET_INFORMATION));
    }
}
