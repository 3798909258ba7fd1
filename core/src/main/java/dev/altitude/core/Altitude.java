package dev.altitude.core;

import java.math.BigDecimal;

/**
 * A filter altitude: a string of decimal digits with at most one decimal point, compared as a number
 * ("03333" is above "100.123456"; leading and trailing zeros do not count). Higher is farther from the
 * file system: its pre-operations run first and its post-operations last.
 */
public final class Altitude implements Comparable<Altitude> {
    /** The longest altitude string: Windows allocates altitudes of six digits and a short fraction. */
    public static final int MAX_LENGTH = 32;

    private final String text;
    private final BigDecimal value;

    private Altitude(String text, BigDecimal value) {
        this.text = text;
        this.value = value;
    }

    /**
     * Parses an altitude string.
     *
     * @throws NtStatusException {@link NtStatus#INVALID_PARAMETER} for an empty string, one longer than
     *                           {@link #MAX_LENGTH}, a character other than a digit or '.', more than one '.',
     *                           or no digit at all
     */
    public static Altitude of(String text) {
        if (text == null || text.isEmpty()) {
            throw new NtStatusException(NtStatus.INVALID_PARAMETER, "an altitude must not be empty");
        }
        if (text.length() > MAX_LENGTH) {
            throw new NtStatusException(NtStatus.INVALID_PARAMETER,
                    "an altitude of " + text.length() + " characters: at most " + MAX_LENGTH);
        }
        int dots = 0;
        int digits = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '.') {
                dots++;
            } else if (c >= '0' && c <= '9') {
                digits++;
            } else {
                throw new NtStatusException(NtStatus.INVALID_PARAMETER,
                        "altitude '" + text + "' has a character other than digits and one '.'");
            }
        }
        if (dots > 1 || digits == 0) {
            throw new NtStatusException(NtStatus.INVALID_PARAMETER,
                    "altitude '" + text + "' must be decimal digits with at most one '.'");
        }
        String normal = text.startsWith(".") ? "0" + text : text.endsWith(".") ? text + "0" : text;
        return new Altitude(text, new BigDecimal(normal).stripTrailingZeros());
    }

    /** True if {@code text} parses as an altitude. */
    public static boolean isValid(String text) {
        try {
            of(text);
            return true;
        } catch (NtStatusException e) {
            return false;
        }
    }

    public BigDecimal value() {
        return value;
    }

    @Override
    public int compareTo(Altitude o) {
        return value.compareTo(o.value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Altitude a && a.value.compareTo(value) == 0;
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    /** The string as it was given. */
    @Override
    public String toString() {
        return text;
    }
}
