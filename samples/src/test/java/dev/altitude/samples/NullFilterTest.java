package dev.altitude.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.NtStatus;
import dev.altitude.samples.nullfilter.NullFilter;
import org.junit.jupiter.api.Test;

class NullFilterTest extends SampleFixture {
    @Test
    void itLoadsWithNoInstanceAttachesByHandDetachesAndUnloads() {
        assertThat(manager.loadFilter(NullFilter.NAME)).as("found through ServiceLoader").isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.filters()).anySatisfy(f -> {
            assertThat(f.name()).isEqualTo(NullFilter.NAME);
            assertThat(f.instances()).isZero();
            assertThat(f.altitude()).isEqualTo("370020");
        });
        assertThat(manager.unloadFilter(NullFilter.NAME)).isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.filter(NullFilter.NAME)).isEmpty();

        assertThat(manager.loadFilter(NullFilter.NAME)).isEqualTo(NtStatus.SUCCESS);
        manager.attach(NullFilter.NAME, "vol", null, null);
        assertThat(manager.instances()).singleElement().satisfies(i -> assertThat(i.volume()).isEqualTo("vol"));
        assertThat(manager.detach(NullFilter.NAME, "vol", null)).isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.instances()).isEmpty();
        assertThat(manager.unloadFilter(NullFilter.NAME)).isEqualTo(NtStatus.SUCCESS);
    }
}
