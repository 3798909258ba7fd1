package dev.altitude.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.FilterManager;
import dev.altitude.core.NtStatus;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A filter from a jar: its own class loader, gone after the unload, and a new version under the same name. */
class FilterJarsTest {
    @TempDir
    Path dir;

    /** Compiles a driver named "jarfilter" with the given default altitude into {@code jars/jarfilter.jar}. */
    private Path buildJar(String altitude, Path jars) throws IOException {
        return buildJar(altitude, jars, "");
    }

    /** With {@code beforeUnregister}: Java run in the unload callback before it unregisters. */
    private Path buildJar(String altitude, Path jars, String beforeUnregister) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src" + altitude + "/example"));
        Files.writeString(src.resolve("JarFilter.java"), """
                package example;
                import dev.altitude.core.*;
                public final class JarFilter implements FilterDriver {
                    private Filter filter;
                    @Override public String name() { return "jarfilter"; }
                    @Override public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
                        filter = manager.registerFilter(FilterRegistration.builder("jarfilter").altitude("%s")
                                .onPreOperation(MajorFunction.READ, (data, objects) -> PreOpStatus.SUCCESS_NO_CALLBACK)
                                .onUnload(flags -> { %s filter.unregister(); return NtStatus.SUCCESS; }).build());
                        return filter.startFiltering();
                    }
                }
                """.formatted(altitude, beforeUnregister));
        Path classes = Files.createDirectories(dir.resolve("classes" + altitude));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        String cp = Path.of(FilterManager.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
        int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp", cp, src.resolve("JarFilter.java").toString());
        assertThat(rc).as("javac").isZero();
        Files.createDirectories(jars);
        Path jar = jars.resolve("jarfilter.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("META-INF/services/dev.altitude.core.FilterDriver"));
            out.write("example.JarFilter\n".getBytes(StandardCharsets.UTF_8));
            try (var all = Files.walk(classes)) {
                for (Path c : all.filter(Files::isRegularFile).toList()) {
                    out.putNextEntry(new JarEntry(classes.relativize(c).toString()));
                    Files.copy(c, out);
                }
            }
        }
        return jar;
    }

    @Test
    void aJarFilterLoadsInItsOwnLoaderWhichIsCollectedAfterUnloadAndAVersion2Loads() throws Exception {
        Path jars = dir.resolve("filters");
        buildJar("100001", jars);
        try (FilterManager manager = FilterManager.builder().verifier(true).build()) {
            FilterJars filterJars = new FilterJars(jars);
            filterJars.prepare(manager, "jarfilter");
            assertThat(manager.loadFilter("jarfilter")).isEqualTo(NtStatus.SUCCESS);
            assertThat(manager.filters()).singleElement().satisfies(f -> assertThat(f.altitude()).isEqualTo("100001"));
            WeakReference<ClassLoader> loader = new WeakReference<>(filterJars.loaderOf("jarfilter"));
            assertThat(loader.get()).isNotNull().isNotSameAs(getClass().getClassLoader());
            assertThat(manager.unloadFilter("jarfilter")).isEqualTo(NtStatus.SUCCESS);
            filterJars.forget(manager, "jarfilter");
            for (int i = 0; i < 100 && loader.get() != null; i++) {
                System.gc();
                byte[][] pressure = new byte[16][1 << 20]; // a little heap pressure, so that weak references go
                assertThat(pressure.length).isEqualTo(16);
            }
            assertThat(loader.get()).as("nothing of the unloaded filter is reachable").isNull();

            buildJar("100002", jars);
            filterJars.prepare(manager, "jarfilter");
            assertThat(manager.loadFilter("jarfilter")).isEqualTo(NtStatus.SUCCESS);
            assertThat(manager.filters()).singleElement().satisfies(f -> assertThat(f.altitude()).isEqualTo("100002"));
            assertThat(List.of(filterJars.loaderOf("jarfilter"))).doesNotContainNull();
        }
    }

    @Test
    void aTimedOutFltmcUnloadReleasesTheJarsLoaderWhenTheUnloadLaterEnds() throws Exception {
        Path jars = dir.resolve("filters");
        java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
        System.getProperties().put("jarfilter.gate", gate); // a JDK type both loaders see
        buildJar("100003", jars, "try { ((java.util.concurrent.CountDownLatch) System.getProperties().get(\"jarfilter.gate\"))"
                + ".await(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }");
        try (FilterManager manager = FilterManager.builder().verifier(true).build()) {
            FilterJars filterJars = new FilterJars(jars);
            Fltmc fltmc = new Fltmc(manager, filterJars);
            assertThat(fltmc.execute(new ControlProtocol.Request(false, List.of("load", "jarfilter"))).exit()).isZero();
            ControlProtocol.Response timedOut = fltmc.execute(new ControlProtocol.Request(false,
                    List.of("unload", "jarfilter", "--timeout", "100ms")));
            assertThat(timedOut.exit()).isEqualTo(1);
            assertThat(timedOut.lines().getFirst().text()).contains("STATUS_TIMEOUT");
            assertThat(filterJars.loaderOf("jarfilter")).as("held while the unload goes on").isNotNull();
            gate.countDown();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60); // a hang guard only
            while (filterJars.loaderOf("jarfilter") != null) {
                assertThat(System.nanoTime()).as("the loader released after the unload ended").isLessThan(deadline);
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            assertThat(manager.filters()).isEmpty();
        } finally {
            System.getProperties().remove("jarfilter.gate");
        }
    }
}
