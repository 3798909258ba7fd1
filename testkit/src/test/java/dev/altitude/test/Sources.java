package dev.altitude.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Where a marker comment sits in a test source file: the line a failure message must name. */
final class Sources {
    private Sources() {
    }

    /** "Name.java:N", N the first line of {@code c}'s source containing {@code marker}. */
    static String lineOf(Class<?> c, String marker) {
        Path source = Path.of("src/test/java", c.getName().replace('.', '/') + ".java");
        try {
            List<String> lines = Files.readAllLines(source);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).contains(marker)) {
                    return source.getFileName() + ":" + (i + 1);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no '" + marker + "' in " + source);
    }
}
