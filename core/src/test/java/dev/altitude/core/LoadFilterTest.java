package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Loading drivers (spec §8 errors) and validating registrations. */
class LoadFilterTest extends ManagerFixture {

    @Test
    void loadErrors() {
        assertThat(manager.loadFilter("missing")).isEqualTo(NtStatus.OBJECT_NAME_NOT_FOUND);
        TestFilter.load(manager, "once", "370000", b -> b);
        assertThat(manager.loadFilter("once")).isEqualTo(NtStatus.IMAGE_ALREADY_LOADED);
        assertThat(manager.loadFilter("ONCE")).as("names are case-insensitive").isEqualTo(NtStatus.IMAGE_ALREADY_LOADED);
        assertThat(manager.unloadFilter("Once")).isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.loadFilter("once")).as("loads again after an unload").isEqualTo(NtStatus.SUCCESS);
    }

    @Test
    void driversAreFoundThroughServiceLoader() {
        int before = ServiceLoadedDriver.ENTRIES.get();
        assertThat(manager.loadFilter(DriverConfig.of("serviceloadeddriver").withParameter("altitude", "123")))
                .isEqualTo(NtStatus.SUCCESS);
        assertThat(ServiceLoadedDriver.ENTRIES.get()).isEqualTo(before + 1);
        assertThat(manager.filters()).singleElement().satisfies(f -> {
            assertThat(f.name()).isEqualTo("serviceloadeddriver");
            assertThat(f.altitude()).isEqualTo("123");
        });
        assertThat(manager.unloadFilter("serviceloadeddriver")).isEqualTo(NtStatus.SUCCESS);
    }

    @Test
    void configAltitudeOverridesTheRegistration() {
        TestFilter.register(manager, "moved", "370000", b -> b);
        assertThat(manager.loadFilter(DriverConfig.of("moved").withAltitude("42"))).isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.filter("moved").orElseThrow().altitude()).isEqualTo(Altitude.of("42"));
        assertThat(manager.loadFilter(DriverConfig.of("other").withAltitude("4x2"))).isEqualTo(NtStatus.INVALID_PARAMETER);
    }

    private NtStatus registrationStatus(FilterRegistration registration) {
        AtomicReference<NtStatus> seen = new AtomicReference<>();
        String name = registration.name() == null || registration.name().isBlank() ? "blank" : registration.name();
        manager.registerDriver(name, () -> (mgr, config) -> {
            NtStatusException e = catchThrowableOfType(NtStatusException.class, () -> mgr.registerFilter(registration));
            seen.set(e == null ? NtStatus.SUCCESS : e.status());
            return NtStatus.UNSUCCESSFUL;
        });
        manager.loadFilter(name);
        return seen.get();
    }

    @Test
    void badRegistrationsAreRefusedWithAPreciseStatus() {
        Callbacks.PreOperation pre = (d, o) -> PreOpStatus.SUCCESS_NO_CALLBACK;
        Callbacks.PostOperation post = (d, o, c, x) -> PostOpStatus.FINISHED_PROCESSING;
        assertThat(registrationStatus(FilterRegistration.builder(" ").altitude("1").build()))
                .isEqualTo(NtStatus.INVALID_PARAMETER);
        assertThat(registrationStatus(FilterRegistration.builder("noalt").build())).isEqualTo(NtStatus.INVALID_PARAMETER);
        assertThat(registrationStatus(FilterRegistration.builder("badalt").altitude("1.2.3").build()))
                .isEqualTo(NtStatus.INVALID_PARAMETER);
        assertThat(registrationStatus(FilterRegistration.builder("dup").altitude("1")
                .onPreOperation(MajorFunction.READ, pre).onPreOperation(MajorFunction.READ, pre).build()))
                .isEqualTo(NtStatus.FLT_DUPLICATE_ENTRY);
        assertThat(registrationStatus(FilterRegistration.builder("shut").altitude("1")
                .onPostOperation(MajorFunction.SHUTDOWN, post).build())).isEqualTo(NtStatus.INVALID_PARAMETER);
        assertThat(registrationStatus(FilterRegistration.builder("empty").altitude("1")
                .onOperation(MajorFunction.READ, null, null).build())).isEqualTo(NtStatus.INVALID_PARAMETER);
        assertThat(registrationStatus(FilterRegistration.builder("ok").altitude("1")
                .onOperation(MajorFunction.READ, pre, post).build())).isEqualTo(NtStatus.SUCCESS);
        // a driver may only register a filter of its own name
        assertThat(registrationStatus(FilterRegistration.builder("ok").altitude("1").build())).isEqualTo(NtStatus.SUCCESS);
        AtomicReference<NtStatus> mismatch = new AtomicReference<>();
        manager.registerDriver("mine", () -> (mgr, config) -> {
            mismatch.set(catchThrowableOfType(NtStatusException.class,
                    () -> mgr.registerFilter(FilterRegistration.builder("theirs").altitude("1").build())).status());
            return NtStatus.UNSUCCESSFUL;
        });
        assertThat(manager.loadFilter("mine")).as("the driver entry's own status").isEqualTo(NtStatus.UNSUCCESSFUL);
        assertThat(mismatch.get()).isEqualTo(NtStatus.INVALID_PARAMETER);
    }

    @Test
    void aDriverEntryThatRegistersNothingFailsTheLoad() {
        manager.registerDriver("hollow", () -> (mgr, config) -> NtStatus.SUCCESS);
        assertThat(manager.loadFilter("hollow")).isEqualTo(NtStatus.FAILED_DRIVER_ENTRY);
        assertThat(manager.filters()).isEmpty();
    }

    @Test
    void aFilterWrittenNameAtAltitudeIsParsedOnceForEveryCaller() {
        assertThat(DriverConfig.parse("scanner")).isEqualTo(DriverConfig.of("scanner"));
        assertThat(DriverConfig.parse(" minispy @ 370001 ")).isEqualTo(DriverConfig.of("minispy").withAltitude("370001"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DriverConfig.parse("bad@"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("bad filter entry 'bad@': expected name[@altitude][:key=value]...");
        assertThat(DriverConfig.parse("scanner@265000:timeout=5s: onTimeout = deny")).isEqualTo(DriverConfig.of("scanner")
                .withAltitude("265000").withParameter("timeout", "5s").withParameter("onTimeout", "deny"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DriverConfig.parse("scanner:timeout"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("parameter 'timeout' is not key=value");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Altitude.of("1".repeat(300)))
                .isInstanceOf(NtStatusException.class).hasMessageContaining("an altitude of 300 characters: at most 32");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DriverConfig.parse("@370000"))
                .isInstanceOf(IllegalArgumentException.class);
        TestFilter.register(manager, "parsed", "370000", b -> b);
        assertThat(manager.loadFilter(DriverConfig.parse("parsed@360000"))).isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.filters()).singleElement().satisfies(f -> assertThat(f.altitude()).isEqualTo("360000"));
    }
}
