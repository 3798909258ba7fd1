package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Decision 9: a callback's exception never reaches the caller's I/O path as a raw exception. */
class CallbackExceptionTest extends ManagerFixture {

    @Test
    void aThrowingPreOperationCompletesTheOperationWithAnErrorAndIsNamed() {
        AtomicInteger abovePosts = new AtomicInteger();
        TestFilter.load(manager, "above", "400000", b -> b.onPostOperation(MajorFunction.WRITE, (d, o, c, x) -> {
            abovePosts.incrementAndGet();
            return PostOpStatus.FINISHED_PROCESSING;
        }));
        TestFilter.load(manager, "thrower", "300000", b -> b.onPreOperation(MajorFunction.WRITE, (d, o) -> {
            throw new IllegalStateException("bug in the filter");
        }));
        TestFilter.create(volume, "/f");
        assertThat(TestFilter.write(volume, "/f", "data")).isEqualTo(NtStatus.UNHANDLED_EXCEPTION);
        assertThat(backend.content("/f")).as("the write did not reach the file system").isEmpty();
        assertThat(abovePosts).as("filters above still get their post-operation").hasValue(1);
        assertThat(manager.filters()).filteredOn(f -> f.name().equals("thrower")).singleElement()
                .satisfies(f -> assertThat(f.callbackFailures()).isEqualTo(1));
        assertThat(manager.diagnostics()).anySatisfy(d -> {
            assertThat(d.kind()).isEqualTo(Diagnostic.Kind.CALLBACK_EXCEPTION);
            assertThat(d.filter()).isEqualTo("thrower");
            assertThat(d.message()).contains("WRITE", "thrower Instance", "vol");
        });
    }

    @Test
    void aThrowingPostOperationFailsTheOperationStatus() {
        TestFilter.load(manager, "post", "300000", b -> b.onPostOperation(MajorFunction.READ, (d, o, c, x) -> {
            throw new IllegalArgumentException("oops");
        }));
        TestFilter.create(volume, "/f");
        TestFilter.write(volume, "/f", "abc");
        assertThat(TestFilter.read(volume, "/f", 3).status()).isEqualTo(NtStatus.UNHANDLED_EXCEPTION);
    }

    @Test
    void aThrowingUnloadCallbackCountsAsAFailure() {
        TestFilter t = TestFilter.load(manager, "u", "300000", b -> b.onUnload(flags -> {
            throw new IllegalStateException("cannot");
        }));
        assertThat(manager.unloadFilter("u")).isEqualTo(NtStatus.UNHANDLED_EXCEPTION);
        assertThat(t.filter().state()).isEqualTo(Filter.State.FILTERING);
        assertThat(manager.unloadFilter("u", UnloadMode.MANDATORY)).isEqualTo(NtStatus.SUCCESS);
        assertThat(t.filter().state()).isEqualTo(Filter.State.UNREGISTERED);
    }

    @Test
    void throwingInstanceCallbacksDoNotStopTheTeardown() {
        TestFilter t = TestFilter.load(manager, "i", "300000", b -> b
                .onInstanceTeardownStart((o, r) -> {
                    throw new IllegalStateException("start");
                })
                .onInstanceTeardownComplete((o, r) -> {
                    throw new IllegalStateException("complete");
                }));
        assertThat(manager.unloadFilter("i")).isEqualTo(NtStatus.SUCCESS);
        assertThat(t.filter().state()).isEqualTo(Filter.State.UNREGISTERED);
        assertThat(volume.instances()).isEmpty();
    }

    @Test
    void aBackendExceptionBecomesAStatus() {
        Volume broken = manager.mountVolume("broken", data -> {
            throw new UnsupportedOperationException("not here");
        });
        assertThat(TestFilter.create(broken, "/x")).isEqualTo(NtStatus.UNEXPECTED_IO_ERROR);
    }
}
