package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Decision 10 (replacing invariant 7): closing the manager, and everything failing cleanly after it. */
@Timeout(60)
class FilterManagerCloseTest {

    @Test
    void decision10_shutdownThenMandatoryUnloadsHighestFirstThenDismount() {
        FilterManager manager = FilterManager.create();
        manager.mountVolume("vol", new MemoryBackend());
        List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
        TestFilter[] h = new TestFilter[3];
        h[0] = TestFilter.load(manager, "low", "100", b -> b.onUnload(flags -> {
            events.add("unload low " + flags);
            h[0].filter().unregister();
            return NtStatus.SUCCESS;
        }));
        h[1] = TestFilter.load(manager, "high", "400000", b -> b
                .onPreOperation(MajorFunction.SHUTDOWN, (d, o) -> {
                    events.add("shutdown high");
                    return PreOpStatus.SUCCESS_NO_CALLBACK;
                })
                .onUnload(flags -> {
                    events.add("unload high " + flags);
                    h[1].filter().unregister();
                    return NtStatus.FLT_DO_NOT_DETACH;
                }));
        h[2] = TestFilter.load(manager, "stubborn", "200", b -> b.onUnload(null)
                .flags(RegistrationFlag.DO_NOT_SUPPORT_SERVICE_STOP)
                .onInstanceTeardownStart((o, r) -> events.add("teardown stubborn " + r)));

        manager.close();

        assertThat(events).containsExactly("shutdown high", "unload high " + Set.of(UnloadFlag.MANDATORY),
                "teardown stubborn MANDATORY_FILTER_UNLOAD", "unload low " + Set.of(UnloadFlag.MANDATORY));
        for (TestFilter t : h) {
            assertThat(t.filter().state()).isEqualTo(Filter.State.UNREGISTERED);
        }
        assertThat(manager.filters()).isEmpty();
        assertThat(manager.volumes()).isEmpty();
        assertThat(manager.diagnostics()).anySatisfy(d -> assertThat(d.filter()).isEqualTo("stubborn"));
        manager.close(); // idempotent
    }

    @Test
    void everythingFailsCleanlyAfterClose() {
        FilterManager manager = FilterManager.create();
        Volume v = manager.mountVolume("vol", new MemoryBackend());
        TestFilter.load(manager, "f", "1", b -> b);
        manager.close();
        assertThat(TestFilter.create(v, "/x")).isEqualTo(NtStatus.VOLUME_DISMOUNTED);
        assertThat(v.isMounted()).isFalse();
        assertThat(manager.loadFilter("f")).isEqualTo(NtStatus.FLT_DELETING_OBJECT);
        assertThat(manager.unloadFilter("f")).isEqualTo(NtStatus.FLT_FILTER_NOT_FOUND);
        assertThat(manager.detach("f", "vol", null)).isEqualTo(NtStatus.FLT_FILTER_NOT_FOUND);
        assertThat(catchThrowableOfType(NtStatusException.class,
                () -> manager.mountVolume("again", new MemoryBackend())).status()).isEqualTo(NtStatus.FLT_DELETING_OBJECT);
        assertThat(manager.dismountVolume("vol")).isEqualTo(NtStatus.FLT_VOLUME_NOT_FOUND);
    }

    @Test
    void volumesMountOnceAndDismountTearsDownInstances() {
        try (FilterManager manager = FilterManager.create()) {
            manager.mountVolume("vol", new MemoryBackend());
            assertThat(catchThrowableOfType(NtStatusException.class,
                    () -> manager.mountVolume("vol", new MemoryBackend())).status())
                    .isEqualTo(NtStatus.FLT_VOLUME_ALREADY_MOUNTED);
            TestFilter t = TestFilter.load(manager, "f", "1", b -> b);
            assertThat(manager.volumes()).singleElement().satisfies(info -> {
                assertThat(info.fileSystemType()).isEqualTo("memory");
                assertThat(info.instances()).isEqualTo(1);
            });
            assertThat(manager.dismountVolume("vol")).isEqualTo(NtStatus.SUCCESS);
            assertThat(t.filter().instances()).isEmpty();
            assertThat(t.filter().state()).isEqualTo(Filter.State.FILTERING);
        }
    }
}
