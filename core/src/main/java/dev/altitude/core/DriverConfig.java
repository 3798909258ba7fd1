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
