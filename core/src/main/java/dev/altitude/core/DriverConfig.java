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
     * {@code name[@altitude][:key=value]...}, as the command line and the configuration files write a filter
     * to load ({@code scanner@265000:timeout=5s:onTimeout=deny}; a value holds no ':', and a list of entries is
     * separated by commas). A blank name, an empty altitude or a parameter without {@code key=} is refused ({@link IllegalArgumentException}); whether the altitude is a
     * valid one, {@link FilterManager#loadFilter(DriverConfig)} says.
     */
    public static DriverConfig parse(String entry) {
        String[] parts = entry.strip().split(":", -1);
        String e = parts[0].strip();
        int at = e.indexOf('@');
        String name = at < 0 ? e : e.substring(0, at).strip();
        String altitude = at < 0 ? null : e.substring(at + 1).strip();
        if (name.isEmpty() || (altitude != null && altitude.isEmpty())) {
            throw new IllegalArgumentException("bad filter entry '" + entry + "': expected name[@altitude][:key=value]...");
        }
        Map<String, String> parameters = new java.util.LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("bad filter entry '" + entry + "': parameter '" + parts[i].strip()
                        + "' is not key=value");
            }
            parameters.put(parts[i].substring(0, eq).strip(), parts[i].substring(eq + 1).strip());
        }
        return new DriverConfig(name, altitude, parameters);
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
