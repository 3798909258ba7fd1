package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The module exports the filter author's and the client's API and nothing else. */
class ModuleLayoutTest {
    private static final Path CLASSES = Path.of(FilterManager.class.getProtectionDomain().getCodeSource().getLocation()
            .getPath());

    @TempDir
    Path dir;

    private static ModuleDescriptor descriptor() {
        return ModuleFinder.of(CLASSES).find("dev.altitude.core").orElseThrow().descriptor();
    }

    /** Compiles a filter author's module that uses {@code use} against the core module; javac's messages, or "". */
    private String compileAuthorModule(String use) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src/author/example"));
        Files.writeString(dir.resolve("src/author/module-info.java"),
                "module author { requires dev.altitude.core; provides dev.altitude.core.FilterDriver with example.Driver; }");
        Files.writeString(src.resolve("Driver.java"), """
                package example;
                public final class Driver implements dev.altitude.core.FilterDriver {
                    public dev.altitude.core.NtStatus driverEntry(dev.altitude.core.FilterManager m,
                            dev.altitude.core.DriverConfig c) {
                        %s
                        return dev.altitude.core.NtStatus.SUCCESS;
                    }
                }
                """.formatted(use));
        StringWriter messages = new StringWriter();
        PrintWriter w = new PrintWriter(messages);
        int rc = ToolProvider.findFirst("javac").orElseThrow().run(w, w, "-d", dir.resolve("out").toString(),
                "--module-path", CLASSES.toString(), dir.resolve("src/author/module-info.java").toString(),
                src.resolve("Driver.java").toString());
        w.flush();
        return rc == 0 ? "" : messages.toString();
    }

    @Test
    void aFilterModuleCompilesAgainstTheApiButCannotReachTheMachinery() throws Exception {
        assertThat(compileAuthorModule("m.mountVolume(\"v\", new dev.altitude.core.MemoryBackend());")).isEmpty();
        for (String internal : List.of("new dev.altitude.core.rundown.Rundown();",
                "dev.altitude.core.frame.CallbackFrame.current();", "dev.altitude.core.clock.CoarseClock.now();",
                "dev.altitude.core.wire.PortWire.Reader r = null;", "dev.altitude.core.probe.Probes.attach(null, null);")) {
            assertThat(compileAuthorModule(internal)).as(internal).contains("is not visible");
        }
    }

    @Test
    void onlyTheApiPackageIsExported() {
        ModuleDescriptor d = descriptor();
        assertThat(d.exports().stream().filter(e -> !e.isQualified()).map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toSet())).containsExactly("dev.altitude.core");
        // the observer hook goes to the test kit only
        assertThat(d.exports().stream().filter(ModuleDescriptor.Exports::isQualified).map(e -> e.source() + " to " + e.targets())
                .toList()).containsExactly("dev.altitude.core.probe to [dev.altitude.test]");
        assertThat(d.opens()).isEmpty();
        assertThat(d.packages()).contains("dev.altitude.core.rundown", "dev.altitude.core.frame",
                "dev.altitude.core.context", "dev.altitude.core.wire", "dev.altitude.core.clock");
    }

    @Test
    void theCoreNeedsNothingButTheJdk() {
        assertThat(descriptor().requires()).allSatisfy(r -> assertThat(r.name()).matches("java\\..*|jdk\\..*"));
    }

    @Test
    void theMachineryKeepsItsWayOutOfTheApi() {
        // what a filter author sees: none of the API's public signatures names an internal type
        for (Class<?> c : new Class<?>[] {FilterManager.class, Filter.class, Instance.class, Volume.class,
                CallbackData.class, Context.class, ServerPort.class, ClientPort.class, FilterClient.class}) {
            for (var m : c.getMethods()) {
                assertThat(m.getReturnType().getPackageName()).as("%s returns", m).doesNotStartWith("dev.altitude.core.");
                for (Class<?> p : m.getParameterTypes()) {
                    assertThat(p.getPackageName()).as("%s takes", m).doesNotStartWith("dev.altitude.core.");
                }
            }
        }
    }
}
