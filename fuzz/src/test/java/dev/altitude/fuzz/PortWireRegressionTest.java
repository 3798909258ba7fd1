package dev.altitude.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The fuzz target over every input of the regression corpus ({@code fuzz/corpus}), in the default build. */
class PortWireRegressionTest {

    static Stream<Path> corpus() throws IOException {
        Path dir = Path.of(System.getProperty("fuzz.corpus", "corpus"));
        assertThat(dir).isDirectory();
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void decodesOrRefusesCleanly(Path input) throws IOException {
        byte[] data = Files.readAllBytes(input);
        assertThatCode(() -> PortWireFuzzer.fuzzerTestOneInput(data)).doesNotThrowAnyException();
    }
}
