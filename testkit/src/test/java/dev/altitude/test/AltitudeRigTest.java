package dev.altitude.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.altitude.core.Context;
import dev.altitude.core.ContextType;
import dev.altitude.core.Diagnostic;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.HolderKind;
import dev.altitude.core.NtStatus;
import dev.altitude.core.UnloadMode;
import dev.altitude.nio.AltitudeFileSystem;
import dev.altitude.test.filters.Asker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The rig the extension gives a test, and what its end checks. */
@Timeout(120)
@ExtendWith(AltitudeExtension.class)
class AltitudeRigTest {
    private AltitudeRig before;

    @BeforeEach
    void setUp(AltitudeRig rig) {
        before = rig;
    }

    @Test
    void aTestAndItsBeforeEachGetOneRigAndItsManager(AltitudeRig rig, FilterManager manager) {
        assertThat(rig).isSameAs(before);
        assertThat(manager).isSameAs(rig.manager());
        assertThat(rig.portDirectory()).isDirectory();
    }

    @Test
    void aWellBehavedFilterPassesItsEnd(AltitudeRig rig) throws Exception {
        AltitudeFileSystem fs = rig.nioVolume("vol");
        rig.load(new Asker());
        Files.writeString(fs.getPath("/a.txt"), "x"); // no client: nothing asked
        assertThat(Files.readString(fs.getPath("/a.txt"))).isEqualTo("x");
        // left loaded: the rig's end unloads it (mandatory) and finds nothing wrong
    }

    @Test
    void theEndOfATestWithALeakedContextFailsNamingTheLineOfTheLeak(@TempDir Path tmp) throws Exception {
        AltitudeRig rig = new AltitudeRig(tmp).unloadWithin(Duration.ofSeconds(1));
        rig.memoryVolume("vol");
        Filter[] f = new Filter[1];
        rig.register("leaker", () -> (m, config) -> {
            f[0] = m.registerFilter(FilterRegistration.builder("leaker").altitude("300000")
                    .context(ContextType.VOLUME, (v, t) -> { })
                    .onUnload(flags -> {
                        f[0].unregister();
                        return NtStatus.SUCCESS;
                    }).build());
            return f[0].startFiltering();
        });
        assertThat(rig.manager().loadFilter("leaker")).isEqualTo(NtStatus.SUCCESS);
        Context<String> kept = f[0].allocateContext(ContextType.VOLUME, "kept"); // the leak
        UnloadAssert.assertThatUnload(rig.explain("leaker")).isBlockedBy(HolderKind.CONTEXT_REFERENCE)
                .takenAt(Sources.lineOf(AltitudeRigTest.class, "// the leak"));
        AssertionError e = assertThrows(AssertionError.class, rig::finish);
        assertThat(e.getMessage()).contains("mandatory unload of 'leaker' did not finish within 1000 ms")
                .contains("a context reference the filter never released")
                .contains("AltitudeRigTest.theEndOfATestWithALeakedContextFailsNamingTheLineOfTheLeak("
                        + Sources.lineOf(AltitudeRigTest.class, "// the leak") + ")");
        kept.close(); // lets the abandoned unload finish
    }

    @Test
    void aMisuseFailsTheEndUnlessTheTestExpectsIt(@TempDir Path tmp) throws Exception {
        for (boolean expected : new boolean[] {false, true}) {
            AltitudeRig rig = new AltitudeRig(tmp.resolve(String.valueOf(expected)));
            Filter[] f = new Filter[1];
            rig.register("twice", () -> (m, config) -> {
                f[0] = m.registerFilter(FilterRegistration.builder("twice").altitude("300000").onUnload(flags -> {
                    f[0].unregister();
                    f[0].unregister(); // the misuse: a second unregister
                    return NtStatus.SUCCESS;
                }).build());
                return f[0].startFiltering();
            });
            assertThat(rig.manager().loadFilter("twice")).isEqualTo(NtStatus.SUCCESS);
            assertThat(rig.unload("twice", UnloadMode.OPTIONAL)).isEqualTo(NtStatus.SUCCESS);
            if (expected) {
                rig.expect(Diagnostic.Kind.REPEATED_UNREGISTER).finish();
            } else {
                AssertionError e = assertThrows(AssertionError.class, rig::finish);
                assertThat(e.getMessage()).contains("REPEATED_UNREGISTER [twice] the filter called unregister twice");
            }
        }
    }

    @Test
    void aLoadThatFailsSaysItsStatus(AltitudeRig rig) {
        AssertionError e = assertThrows(AssertionError.class, () -> rig.load(new dev.altitude.core.FilterDriver() {
            @Override
            public String name() {
                return "refuser";
            }

            @Override
            public NtStatus driverEntry(FilterManager manager, dev.altitude.core.DriverConfig config) {
                return NtStatus.INSUFFICIENT_RESOURCES;
            }
        }));
        assertThat(e.getMessage()).contains("loading 'refuser' failed with STATUS_INSUFFICIENT_RESOURCES");
    }
}
