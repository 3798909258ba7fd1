package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A C program of a layout test: compiled with gcc, run, and each line it prints ({@code NAME VALUE}) as a map. */
final class CPrinted {
    private CPrinted() {
    }

    static Map<String, Long> run(Path dir, String name, CharSequence source) throws IOException, InterruptedException {
        Files.writeString(dir.resolve(name + ".c"), source);
        Bounded.Result cc = Bounded.run(dir, List.of("gcc", "-o", name, name + ".c"));
        assertThat(cc.exit()).as(cc.out() + "\n" + source).isZero();
        Bounded.Result run = Bounded.run(dir, List.of(dir.resolve(name).toString()));
        assertThat(run.exit()).as(run.out()).isZero();
        Map<String, Long> printed = new LinkedHashMap<>();
        for (String line : run.out().strip().split("\n")) {
            int sp = line.lastIndexOf(' ');
            printed.put(line.substring(0, sp), Long.parseLong(line.substring(sp + 1)));
        }
        return printed;
    }
}
