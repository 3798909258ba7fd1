package dev.altitude.nio;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.NtStatus;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The filters of default-provider mode: {@code name[@altitude]} entries from a system property or a
 * properties file. A load that fails is reported on standard error in one line and the program goes on
 * (its I/O is then not filtered by that filter): an unmodified program must not die of its configuration.
 */
final class DefaultFilters {
    private DefaultFilters() {
    }

    /** One filter to load: its name, altitude (or null for the filter's own) and parameters. */
    record Entry(DriverConfig config, String driverClass) {
    }

    /**
     * Parses the configuration: {@code filtersProperty} if set, else the {@code filters} key of the file
     * {@code configFile}. The file is read with {@code java.io}: the default file system is starting.
     */
    static List<Entry> parse(String filtersProperty, String configFile) throws IOException {
        Properties config = new Properties();
        if (configFile != null && !configFile.isBlank()) {
            try (InputStream in = new FileInputStream(configFile)) {
                config.load(in);
            }
        }
        String list = filtersProperty != null ? filtersProperty : config.getProperty("filters", "");
        List<Entry> entries = new ArrayList<>();
        for (String item : list.split(",")) {
            String e = item.strip();
            if (e.isEmpty()) {
                continue;
            }
            DriverConfig parsed = DriverConfig.parse(e);
            String driverClass = parsed.name().contains(".") ? parsed.name() : null;
            String shortName = driverClass == null ? parsed.name() : driverClass.substring(driverClass.lastIndexOf('.') + 1);
            DriverConfig dc = new DriverConfig(shortName, parsed.altitude(), java.util.Map.of());
            String prefix = shortName + ".";
            for (String key : config.stringPropertyNames()) {
                if (key.startsWith(prefix)) {
                    dc = dc.withParameter(key.substring(prefix.length()), config.getProperty(key));
                }
            }
            entries.add(new Entry(dc, driverClass));
        }
        return entries;
    }

    /** Loads every configured filter into {@code manager}; failures are one line each on standard error. */
    static void load(FilterManager manager, String filtersProperty, String configFile) {
        List<Entry> entries;
        try {
            entries = parse(filtersProperty, configFile);
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("altitude: no filters loaded: " + e.getMessage());
            return;
        }
        for (Entry e : entries) {
            String name = e.config().name();
            if (e.driverClass() != null) {
                try {
                    Class<?> c = Class.forName(e.driverClass(), true, Thread.currentThread().getContextClassLoader() != null
                            ? Thread.currentThread().getContextClassLoader() : ClassLoader.getSystemClassLoader());
                    var ctor = c.asSubclass(FilterDriver.class).getDeclaredConstructor();
                    manager.registerDriver(name, () -> {
                        try {
                            return ctor.newInstance();
                        } catch (ReflectiveOperationException x) {
                            throw new IllegalStateException(x);
                        }
                    });
                } catch (ClassNotFoundException x) {
                    System.err.println("altitude: filter " + e.driverClass() + " not loaded: no such class");
                    continue;
                } catch (ClassCastException x) {
                    System.err.println("altitude: filter " + e.driverClass() + " not loaded: not a FilterDriver");
                    continue;
                } catch (ReflectiveOperationException x) {
                    System.err.println("altitude: filter " + e.driverClass() + " not loaded: no public no-argument constructor");
                    continue;
                }
            }
            NtStatus s = manager.loadFilter(e.config());
            if (s.isFailure()) {
                System.err.println("altitude: filter " + name + " not loaded: " + s);
            }
        }
    }
}
