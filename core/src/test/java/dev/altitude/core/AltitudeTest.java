package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AltitudeTest {

    @Test
    void inv36_altitudesCompareNumericallyIgnoringLeadingAndTrailingZeros() {
        assertThat(Altitude.of("03333")).isGreaterThan(Altitude.of("100.123456"));
        assertThat(Altitude.of("370020")).isGreaterThan(Altitude.of("265000"));
        assertThat(Altitude.of("325000.7")).isGreaterThan(Altitude.of("325000.3"));
        assertThat(Altitude.of("00100.500")).isEqualTo(Altitude.of("100.5"));
        assertThat(Altitude.of("100.")).isEqualTo(Altitude.of("100"));
        assertThat(Altitude.of(".5")).isLessThan(Altitude.of("1"));
        assertThat(Altitude.of("00100.500")).hasToString("00100.500");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "1.2.3", "12a", "-5", "1e5", ".", " 100", "100 "})
    void inv36_malformedAltitudesAreRefusedWithInvalidParameter(String text) {
        assertThatThrownBy(() -> Altitude.of(text)).isInstanceOfSatisfying(NtStatusException.class,
                e -> assertThat(e.status()).isEqualTo(NtStatus.INVALID_PARAMETER));
        assertThat(Altitude.isValid(text)).isFalse();
    }
}
