package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Spec §6 invariants 27–31 and 34–39: attach, detach, altitudes and the order of callbacks. */
class AttachDetachTest extends ManagerFixture {

    private static NtStatus statusOf(Runnable r) {
        NtStatusException e = catchThrowableOfType(NtStatusException.class, r::run);
        return e == null ? NtStatus.SUCCESS : e.status();
    }

    @Test
    void inv27_noQueryTeardownCallbackMeansNoManualDetach() {
        TestFilter t = TestFilter.load(manager, "stuck", "370000", b -> b);
        assertThat(manager.detach("stuck", "vol", null)).isEqualTo(NtStatus.FLT_DO_NOT_DETACH);
        assertThat(t.filter().instances()).hasSize(1);
        assertThat(volume.instances()).hasSize(1);
    }

    @Test
    void inv28_queryTeardownVetoLeavesInstanceAndCallsNoTeardown() {
        AtomicInteger teardowns = new AtomicInteger();
        TestFilter t = TestFilter.load(manager, "veto", "370000", b -> b
                .onInstanceQueryTeardown(o -> NtStatus.FLT_DO_NOT_DETACH)
                .onInstanceTeardownStart((o, r) -> teardowns.incrementAndGet())
                .onInstanceTeardownComplete((o, r) -> teardowns.incrementAndGet()));
        NtStatus s = manager.detach("veto", "vol", null);
        assertThat(s).isEqualTo(NtStatus.FLT_DO_NOT_DETACH);
        assertThat(s.toHResult()).isEqualTo(0x801F0010);
        assertThat(teardowns).hasValue(0);
        assertThat(t.filter().instances().getFirst().isAttached()).isTrue();
    }

    @Test
    void inv29_detachWithoutNameTakesTheHighestInstance() {
        TestFilter t = TestFilter.load(manager, "m", "370000", b -> b.onInstanceQueryTeardown(o -> NtStatus.SUCCESS));
        manager.attach("m", "vol", "low", "100");
        manager.attach("m", "vol", "high", "380000");
        assertThat(manager.detach("m", "vol", null)).isEqualTo(NtStatus.SUCCESS);
        assertThat(t.filter().instances()).extracting(Instance::name).containsExactlyInAnyOrder("m Instance", "low");
        assertThat(manager.detach("m", "vol", "low")).isEqualTo(NtStatus.SUCCESS);
        assertThat(t.filter().instances()).extracting(Instance::name).containsExactly("m Instance");
    }

    @Test
    void inv30_detachOfAnInstanceBeingTornDownIsDeletingObjectAndNoMatchIsNotFound() {
        CountDownLatch inStart = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        TestFilter.load(manager, "t", "370000", b -> b
                .onInstanceQueryTeardown(o -> NtStatus.SUCCESS)
                .onInstanceTeardownStart((o, r) -> {
                    inStart.countDown();
                    Await.latch(finish);
                }));
        assertThat(manager.detach("t", "vol", "no such instance")).isEqualTo(NtStatus.FLT_INSTANCE_NOT_FOUND);
        assertThat(manager.detach("t", "nowhere", null)).isEqualTo(NtStatus.FLT_VOLUME_NOT_FOUND);
        assertThat(manager.detach("nobody", "vol", null)).isEqualTo(NtStatus.FLT_FILTER_NOT_FOUND);
        Thread first = Thread.ofPlatform().start(() -> manager.detach("t", "vol", null));
        Await.latch(inStart);
        assertThat(manager.detach("t", "vol", null)).isEqualTo(NtStatus.FLT_DELETING_OBJECT);
        assertThat(manager.detach("t", "vol", "t Instance")).isEqualTo(NtStatus.FLT_DELETING_OBJECT);
        finish.countDown();
        Await.joined(first);
        assertThat(manager.detach("t", "vol", null)).isEqualTo(NtStatus.FLT_INSTANCE_NOT_FOUND);
    }

    @Test
    void inv31_teardownReasonPerTrigger() {
        List<TeardownReason> reasons = java.util.Collections.synchronizedList(new ArrayList<>());
        TestFilter.load(manager, "r", "370000", b -> b
                .onInstanceQueryTeardown(o -> NtStatus.SUCCESS)
                .onInstanceTeardownStart((o, r) -> reasons.add(r)));
        manager.mountVolume("v2", new MemoryBackend());
        manager.mountVolume("v3", new MemoryBackend());
        assertThat(manager.detach("r", "vol", null)).isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.dismountVolume("v2")).isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.unloadFilter("r")).isEqualTo(NtStatus.SUCCESS);
        assertThat(reasons).containsExactly(TeardownReason.MANUAL, TeardownReason.VOLUME_DISMOUNT,
                TeardownReason.FILTER_UNLOAD);
        TestFilter.load(manager, "r2", "370000", b -> b.onInstanceTeardownStart((o, r) -> reasons.add(r)));
        assertThat(manager.unloadFilter("r2", UnloadMode.MANDATORY)).isEqualTo(NtStatus.SUCCESS);
        assertThat(reasons).endsWith(TeardownReason.MANDATORY_FILTER_UNLOAD, TeardownReason.MANDATORY_FILTER_UNLOAD);
        assertThat(TeardownReason.FILTER_UNLOAD.value()).isEqualTo(0x2);
        assertThat(TeardownReason.MANDATORY_FILTER_UNLOAD.value()).isEqualTo(0x4);
    }

    @Test
    void inv34_noTwoInstancesShareAnAltitudeOnAVolume() {
        TestFilter.load(manager, "a", "370000", b -> b);
        TestFilter.load(manager, "b", "360000", b -> b);
        assertThat(statusOf(() -> manager.attach("b", "vol", "b2", "370000.000")))
                .isEqualTo(NtStatus.FLT_INSTANCE_ALTITUDE_COLLISION);
        assertThat(NtStatus.FLT_INSTANCE_ALTITUDE_COLLISION.code()).isEqualTo(0xC01C0011);
        TestFilter.load(manager, "c", "0370000", b -> b); // same default altitude: no automatic instance
        assertThat(manager.filter("c").orElseThrow().instances()).isEmpty();
        assertThat(statusOf(() -> manager.attach("c", "vol", "c1", null))).isEqualTo(NtStatus.OBJECT_NAME_COLLISION);
        assertThat(volume.instances()).extracting(i -> i.altitude().value()).doesNotHaveDuplicates();
    }

    @Test
    void inv35_noTwoInstancesShareANameOnAVolume() {
        TestFilter.load(manager, "a", "370000", b -> b.defaultInstanceName("shared"));
        TestFilter.load(manager, "b", "360000", b -> b.suppressAutomaticAttachment());
        assertThat(statusOf(() -> manager.attach("b", "vol", "shared", "1")))
                .isEqualTo(NtStatus.FLT_INSTANCE_NAME_COLLISION);
        assertThat(statusOf(() -> manager.attach("b", "vol", "own", "1"))).isEqualTo(NtStatus.SUCCESS);
        Volume other = manager.mountVolume("other", new MemoryBackend());
        assertThat(statusOf(() -> manager.attach("b", "other", "shared", "2"))).isEqualTo(NtStatus.FLT_INSTANCE_NAME_COLLISION);
        assertThat(statusOf(() -> manager.attach("b", "other", "own", "1"))).as("names are unique per volume only")
                .isEqualTo(NtStatus.SUCCESS);
        assertThat(other.instances()).extracting(Instance::name).containsExactly("shared", "own");
    }

    @Test
    void attachErrorsAreNamed() {
        TestFilter.load(manager, "a", "370000", b -> b.suppressAutomaticAttachment());
        assertThat(statusOf(() -> manager.attach("nobody", "vol", null, null))).isEqualTo(NtStatus.FLT_FILTER_NOT_FOUND);
        assertThat(statusOf(() -> manager.attach("a", "nowhere", null, null))).isEqualTo(NtStatus.FLT_VOLUME_NOT_FOUND);
        assertThat(statusOf(() -> manager.attach("a", "vol", null, "12x"))).isEqualTo(NtStatus.INVALID_PARAMETER);
        assertThat(statusOf(() -> manager.attach("a", "vol", null, "5"))).isEqualTo(NtStatus.SUCCESS);
        assertThat(volume.instances()).extracting(Instance::name).containsExactly("a 5");
    }

    @Test
    void inv37_preOpsDescendPostOpsAscend() {
        List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
        for (String[] f : new String[][] {{"mid", "300000"}, {"top", "400000"}, {"low", "03333"}, {"frac", "100.123456"}}) {
            TestFilter.load(manager, f[0], f[1], b -> b.onOperation(MajorFunction.READ, (d, o) -> {
                events.add("pre " + o.filter().name());
                return PreOpStatus.SUCCESS_WITH_CALLBACK;
            }, (d, o, c, dr) -> {
                events.add("post " + o.filter().name());
                return PostOpStatus.FINISHED_PROCESSING;
            }));
        }
        TestFilter.create(volume, "/f");
        TestFilter.read(volume, "/f", 1);
        assertThat(events).containsExactly("pre top", "pre mid", "pre low", "pre frac",
                "post frac", "post low", "post mid", "post top");
    }

    @Test
    void inv38_completeStopsDescentAndOnlyFiltersAboveGetPostOps() {
        List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
        MemoryBackend below = new MemoryBackend();
        Volume v = manager.mountVolume("v2", below);
        for (String[] f : new String[][] {{"top", "400000"}, {"completer", "300000"}, {"bottom", "200000"}}) {
            TestFilter.load(manager, f[0], f[1], b -> b.onOperation(MajorFunction.WRITE, (d, o) -> {
                events.add("pre " + o.filter().name());
                if (o.filter().name().equals("completer")) {
                    d.complete(NtStatus.ACCESS_DENIED, 0);
                    return PreOpStatus.COMPLETE;
                }
                return PreOpStatus.SUCCESS_WITH_CALLBACK;
            }, (d, o, c, dr) -> {
                events.add("post " + o.filter().name() + " " + d.status().name());
                return PostOpStatus.FINISHED_PROCESSING;
            }));
        }
        TestFilter.create(v, "/f");
        events.clear();
        assertThat(TestFilter.write(v, "/f", "secret")).isEqualTo(NtStatus.ACCESS_DENIED);
        assertThat(events).containsExactly("pre top", "pre completer", "post top STATUS_ACCESS_DENIED");
        assertThat(below.content("/f")).isEmpty();
    }

    @Test
    void inv39_instanceSetupRefusalCreatesNoInstanceAndCallsNoTeardown() {
        AtomicInteger teardowns = new AtomicInteger();
        List<Set<InstanceSetupFlag>> setups = java.util.Collections.synchronizedList(new ArrayList<>());
        TestFilter.load(manager, "picky", "370000", b -> b
                .onInstanceSetup((o, flags, fsType) -> {
                    setups.add(flags);
                    return o.volume().name().equals("ok") ? NtStatus.SUCCESS : NtStatus.FLT_DO_NOT_ATTACH;
                })
                .onInstanceTeardownStart((o, r) -> teardowns.incrementAndGet())
                .onInstanceTeardownComplete((o, r) -> teardowns.incrementAndGet()));
        assertThat(volume.instances()).isEmpty();
        assertThat(statusOf(() -> manager.attach("picky", "vol", null, null))).isEqualTo(NtStatus.FLT_DO_NOT_ATTACH);
        manager.mountVolume("ok", new MemoryBackend());
        assertThat(manager.filter("picky").orElseThrow().instances()).extracting(i -> i.volume().name())
                .containsExactly("ok");
        assertThat(setups).containsExactly(Set.of(InstanceSetupFlag.AUTOMATIC_ATTACHMENT),
                Set.of(InstanceSetupFlag.MANUAL_ATTACHMENT),
                Set.of(InstanceSetupFlag.AUTOMATIC_ATTACHMENT, InstanceSetupFlag.NEWLY_MOUNTED_VOLUME));
        assertThat(manager.unloadFilter("picky")).isEqualTo(NtStatus.SUCCESS);
        assertThat(teardowns).as("only the one real instance is torn down").hasValue(2);
    }

    @Test
    void automaticAttachmentCanBeSuppressedAndManualAttachStillWorks() {
        TestFilter t = TestFilter.load(manager, "manual", "370020", b -> b.suppressAutomaticAttachment()
                .onInstanceQueryTeardown(o -> NtStatus.SUCCESS));
        manager.mountVolume("later", new MemoryBackend());
        assertThat(t.filter().instances()).isEmpty();
        Instance i = manager.attach("manual", "vol", null, null);
        assertThat(i.name()).isEqualTo("manual Instance");
        assertThat(manager.instances()).extracting(FilterManager.InstanceInfo::instance).containsExactly("manual Instance");
        assertThat(manager.detach("manual", "vol", null)).isEqualTo(NtStatus.SUCCESS);
        assertThat(i.isAttached()).isFalse();
        assertThat(manager.instances()).isEmpty();
    }

    @Test
    void anInstanceAttachedWhileUnregisterRunsStillGetsItsTeardown() {
        CountDownLatch inSetup = new CountDownLatch(1);
        CountDownLatch finishSetup = new CountDownLatch(1);
        List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
        TestFilter t = TestFilter.load(manager, "racy", "370000", b -> b.suppressAutomaticAttachment()
                .onInstanceSetup((o, f, ty) -> {
                    inSetup.countDown();
                    Await.latch(finishSetup);
                    calls.add("setup");
                    return NtStatus.SUCCESS;
                })
                .onInstanceTeardownStart((o, r) -> calls.add("start " + r))
                .onInstanceTeardownComplete((o, r) -> calls.add("complete " + r)));
        Thread attacher = Thread.ofPlatform().start(() -> statusOf(() -> manager.attach("racy", "vol", null, null)));
        Await.latch(inSetup);
        Thread unloader = Thread.ofPlatform().start(() -> manager.unloadFilter("racy"));
        Await.until("draining", () -> t.filter().state() == Filter.State.DRAINING);
        finishSetup.countDown();
        Await.joined(attacher);
        Await.joined(unloader);
        assertThat(calls).containsExactly("setup", "start FILTER_UNLOAD", "complete FILTER_UNLOAD");
        assertThat(volume.instances()).isEmpty();
        assertThat(t.filter().state()).isEqualTo(Filter.State.UNREGISTERED);
    }

    @Test
    void aDetachFromAnInstancesOwnCallbackIsRefusedButFromAPortMessageItIsDone() throws Exception {
        java.util.concurrent.atomic.AtomicReference<NtStatus> fromPre = new java.util.concurrent.atomic.AtomicReference<>();
        TestFilter t = TestFilter.load(manager, "d", "370000", b -> b.onInstanceQueryTeardown(o -> NtStatus.SUCCESS)
                .onPreOperation(MajorFunction.READ, (data, objects) -> {
                    fromPre.set(manager.detach("d", "vol", null));
                    return PreOpStatus.SUCCESS_NO_CALLBACK;
                }));
        TestFilter.read(volume, "/f", 1);
        assertThat(fromPre.get()).as("it would wait for itself").isEqualTo(NtStatus.POSSIBLE_DEADLOCK);
        assertThat(volume.instances()).hasSize(1);
        ServerPort port = t.filter().createCommunicationPort("detacher", 1, PortCallbacks.of(
                (c, ctx, peer) -> NtStatus.SUCCESS, ClientPort::close,
                (c, input) -> new byte[] {(byte) manager.detach("d", "vol", null).code()}));
        try (FilterClient client = FilterClient.connect(manager, "detacher", new byte[0])) {
            assertThat(client.send(new byte[0], 1).data()).containsExactly((byte) NtStatus.SUCCESS.code());
        }
        assertThat(volume.instances()).isEmpty();
        port.close();
    }
}
