package dev.altitude.test;

import dev.altitude.core.FilterManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A verifying filter manager for each test: add {@code @ExtendWith(AltitudeExtension.class)} and take an
 * {@link AltitudeRig} (or the {@link FilterManager} itself) as a parameter of the test, or of a
 * {@code @BeforeEach} method (the same rig for both). After the test the rig unloads what is still loaded and
 * fails the test on what the filter broke ({@link AltitudeRig}).
 *
 * <pre>{@code
 * @ExtendWith(AltitudeExtension.class)
 * class MyFilterTest {
 *     @Test
 *     void deniesWrites(AltitudeRig rig) throws IOException {
 *         var fs = rig.nioVolume("vol");
 *         rig.load(new MyFilter());
 *         assertThrows(AccessDeniedException.class, () -> Files.writeString(fs.getPath("/x"), "y"));
 *     }
 * }
 * }</pre>
 */
public final class AltitudeExtension implements ParameterResolver, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(AltitudeExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
        Class<?> type = p.getParameter().getType();
        return type == AltitudeRig.class || type == FilterManager.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext c) {
        AltitudeRig rig = rig(c);
        return p.getParameter().getType() == AltitudeRig.class ? rig : rig.manager();
    }

    /** The rig of the current test, made on first use. */
    private static AltitudeRig rig(ExtensionContext c) {
        return c.getStore(NS).computeIfAbsent(Rig.class, k -> {
            try {
                return new Rig(new AltitudeRig(Files.createTempDirectory("altitude-rig")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, Rig.class).rig;
    }

    @Override
    public void afterEach(ExtensionContext c) {
        Rig r = c.getStore(NS).remove(Rig.class, Rig.class);
        if (r != null) {
            try {
                r.rig.finish();
            } finally {
                delete(r.rig.root());
            }
        }
    }

    private record Rig(AltitudeRig rig) {
    }

    /** Removes a temporary directory of the kit's; what cannot be removed stays (it fails no test). */
    static void delete(Path root) {
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind fails no test
        }
    }
}
