package dev.altitude.cli;

import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Filters from jars in a directory ({@code --filter-path}): each load of a filter found in a jar gets a class
 * loader of its own for that jar, so that after its unload nothing of it stays reachable (the loader is
 * closed and forgotten, and the driver unregistered) and a new version of the jar loads under the same name.
 * A jar names its drivers as a service ({@code META-INF/services/dev.altitude.core.FilterDriver}).
 */
final class FilterJars {
    private final Path directory;
    private final Map<String, URLClassLoader> loaders = new ConcurrentHashMap<>();

    FilterJars(Path directory) {
        this.directory = directory;
    }

    /** Before loading {@code name}: if a jar provides it, registers its driver from a fresh class loader. */
    void prepare(FilterManager manager, String name) {
        if (directory == null || loaders.containsKey(name)) {
            return;
        }
        List<Path> jars;
        try (Stream<Path> s = Files.list(directory)) {
            jars = s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the filter path " + directory, e);
        }
        for (Path jar : jars) {
            URLClassLoader loader;
            try {
                loader = new URLClassLoader("filter " + jar.getFileName(), new URL[] {jar.toUri().toURL()},
                        FilterJars.class.getClassLoader());
            } catch (IOException e) {
                continue;
            }
            for (ServiceLoader.Provider<FilterDriver> p : ServiceLoader.load(FilterDriver.class, loader).stream().toList()) {
                if (p.type().getClassLoader() != loader) {
                    continue; // one of ours, seen through the parent
                }
                FilterDriver probe = p.get();
                if (probe.name().equalsIgnoreCase(name)) {
                    Class<? extends FilterDriver> type = p.type();
                    manager.registerDriver(name, () -> {
                        try {
                            return type.getDeclaredConstructor().newInstance();
                        } catch (ReflectiveOperationException e) {
                            throw new IllegalStateException("cannot make " + type.getName() + ": " + e, e);
                        }
                    });
                    loaders.put(name, loader);
                    return;
                }
            }
            try {
                loader.close();
            } catch (IOException ignored) {
                // nothing was loaded from it
            }
        }
    }

    /** After {@code name} unloaded: its driver and class loader go. */
    void forget(FilterManager manager, String name) {
        URLClassLoader loader = loaders.remove(name);
        if (loader != null) {
            manager.unregisterDriver(name);
            try {
                loader.close();
            } catch (IOException ignored) {
                // already unusable
            }
        }
    }

    /** The class loader of a loaded jar filter (for the tests). */
    ClassLoader loaderOf(String name) {
        return loaders.get(name);
    }
}
