package dev.altitude.test;

import java.net.URL;
import java.net.URLClassLoader;

/**
 * A class loader for one load of a filter: the classes of the filter's own code source (its jar or class
 * directory) are defined again here, child first; everything else (Altitude, the JDK, the test's libraries)
 * comes from the parent. After the unload, nothing should keep it: the torture checks it is collected.
 */
final class GenerationLoader extends URLClassLoader {
    /** The start of every such loader's name (stack frames name their class's loader). */
    static final String PREFIX = "altitude-test-generation-";

    static {
        registerAsParallelCapable();
    }

    GenerationLoader(URL codeSource, ClassLoader parent, int generation) {
        super(PREFIX + generation, new URL[] {codeSource}, parent);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null && !name.startsWith("java.")
                    && findResource(name.replace('.', '/') + ".class") != null) {
                c = findClass(name);
            }
            if (c == null) {
                return super.loadClass(name, resolve);
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }
}
