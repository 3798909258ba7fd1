package dev.altitude.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.altitude.core.Filter;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import dev.altitude.core.UnloadMode;
import dev.altitude.samples.cdo.Cdo;
import org.junit.jupiter.api.Test;

class CdoTest extends SampleFixture {
    @Test
    void anOptionalUnloadIsRefusedWhileTheControlHandleIsOpen() {
        load(Cdo::new);
        Cdo.ControlHandle h = Cdo.open(manager);
        assertThat(h.request()).isEqualTo("cdo FILTERING");
        assertThat(manager.unloadFilter(Cdo.NAME)).isEqualTo(NtStatus.FLT_DO_NOT_DETACH);
        assertThat(manager.filter(Cdo.NAME)).get().extracting(Filter::state).isEqualTo(Filter.State.FILTERING);
        assertThat(h.request()).as("the handle still works").isEqualTo("cdo FILTERING");
        h.close();
        assertThat(h.isValid()).isFalse();
        assertThat(manager.unloadFilter(Cdo.NAME)).isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.filter(Cdo.NAME)).isEmpty();
    }

    @Test
    void aMandatoryUnloadSucceedsAndInvalidatesTheHandle() {
        load(Cdo::new);
        Cdo.ControlHandle h = Cdo.open(manager);
        assertThat(manager.unloadFilter(Cdo.NAME, UnloadMode.MANDATORY)).isEqualTo(NtStatus.SUCCESS);
        assertThat(h.isValid()).isFalse();
        assertThatThrownBy(h::request).isInstanceOfSatisfying(NtStatusException.class,
                e -> assertThat(e.status()).isEqualTo(NtStatus.PORT_DISCONNECTED));
        assertThatThrownBy(() -> Cdo.open(manager)).isInstanceOfSatisfying(NtStatusException.class,
                e -> assertThat(e.status()).isEqualTo(NtStatus.OBJECT_NAME_NOT_FOUND));
    }
}
