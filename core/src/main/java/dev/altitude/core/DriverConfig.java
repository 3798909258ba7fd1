package dev.altitude.core;

import java.util.Map;
import java.util.Optional;

/**
 * What a driver is loaded with (the registry of its service on Windows): its name, an altitude that
 * overrides the registration's default, and free-form parameters.
 */
public record DriverConfig(String name, String altitude, Map<String, String> parameters) {
    public DriverConfig {
        parameters = Map.copyOf(parameters);
    }

    public static DriverConfig of(String name) {
        return new DriverConfig(name, null, Map.of());
    }

    /**
     * {@code name} or {@code name@altitude}, as the command line and the configuration files write a filter to
     * load. A blank name or an empty altitude is refused ({@link IllegalArgumentException}); whether the
     * altitude is a valid one, {@link FilterManager#loadFilter(DriverConfig)} says.
     */
    public static DriverConfig parse(String nameAtAltitude) {
        String e = nameAtAltitude.strip();
        int at = e.indexOf('@');
        String name = at < 0 ? e : e.substring(0, at).strip();
        String altitude = at < 0 ? null : e.substring(at + 1).strip();
        if (name.isEmpty() || (altitude != null && altitude.isEmpty())) {
            throw new IllegalArgumentException("bad filter entry '" + nameAtAltitude + "': expected name[@altitude]");
        }
        return new DriverConfig(name, altitude, Map.of());
    }

    public Optional<String> parameter(String key) {
        return Optional.ofNullable(parameters.get(key));
    }

    public DriverConfig withAltitude(String altitude) {
        return new DriverConfig(name, altitude, parameters);
    }

    public DriverConfig withParameter(String key, String value) {
        var copy = new java.util.HashMap<>(parameters);
        copy.put(key, value);
        return new DriverConfig(name, altitude, copy);
    }
}
