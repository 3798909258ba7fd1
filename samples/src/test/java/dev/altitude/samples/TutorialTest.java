package dev.altitude.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Test your unload callback", step by step as written there: its files into an empty directory, its
 * commands run there with {@code mvn} standing for this project's Maven wrapper (offline; the Altitude artifacts
 * from a local repository made of this build's classes, everything else from the user's), the failing run's
 * output as shown, the patch, and the passing run.
 */
@Timeout(600)
class TutorialTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String VERSION = "0.1.0-SNAPSHOT";

    /** One step of the tutorial: a marker comment and the fenced block after it. */
    record Step(String kind, String argument, String body) {
    }

    static List<Step> steps(String readme) {
        List<Step> steps = new ArrayList<>();
        List<String> lines = readme.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).strip();
            if (!l.startsWith("<!-- tutorial: ")) {
                continue;
            }
            String[] marker = l.substring("<!-- tutorial: ".length(), l.length() - "-->".length()).strip().split(" ", 2);
            int open = i + 1;
            if (!lines.get(open).startsWith("```")) {
                throw new IllegalStateException("README line " + (open + 1) + ": a fenced block must follow " + l);
            }
            StringBuilder body = new StringBuilder();
            int j = open + 1;
            for (; !lines.get(j).startsWith("```"); j++) {
                body.append(lines.get(j)).append('\n');
            }
            steps.add(new Step(marker[0], marker.length > 1 ? marker[1] : "", body.toString()));
            i = j;
        }
        return steps;
    }

    @Test
    void theTutorialRunsAsWritten(@TempDir Path work) throws Exception {
        List<Step> steps = steps(Files.readString(ROOT.resolve("README.md")));
        assertThat(steps).extracting(Step::kind).containsExactly("file", "file", "file", "run", "expect", "patch", "run");
        Path repo = localRepository(work.resolve("repo"));
        Path bin = mvnShim(work.resolve("bin"), repo);
        Path project = Files.createDirectories(work.resolve("project"));
        String lastOutput = null;
        for (Step step : steps) {
            switch (step.kind()) {
                case "file" -> {
                    Path f = project.resolve(step.argument());
                    Files.createDirectories(f.getParent());
                    Files.writeString(f, step.body());
                }
                case "run" -> {
                    Run r = run(bin, project, step.body());
                    lastOutput = r.output;
                    boolean shouldPass = step.argument().equals("passes");
                    assertThat(r.exit == 0).as("'%s' %s; it printed:%n%s", step.body().strip(), step.argument(), r.output)
                            .isEqualTo(shouldPass);
                }
                case "expect" -> {
                    for (String line : step.body().lines().toList()) {
                        assertThat(lastOutput).as("the output shown in the README").contains(line.strip());
                    }
                }
                case "patch" -> patch(project.resolve(step.argument()), step.body());
                default -> throw new IllegalStateException("unknown tutorial step " + step.kind());
            }
        }
    }

    /** Applies a diff hunk of context, removed and added lines: the old lines must occur once in the file. */
    private static void patch(Path file, String hunk) throws IOException {
        StringBuilder before = new StringBuilder();
        StringBuilder after = new StringBuilder();
        for (String l : hunk.lines().toList()) {
            char c = l.isEmpty() ? ' ' : l.charAt(0);
            String text = l.isEmpty() ? "" : l.substring(1);
            if (c != '+') {
                before.append(text).append('\n');
            }
            if (c != '-') {
                after.append(text).append('\n');
            }
        }
        String s = Files.readString(file);
        int at = s.indexOf(before.toString());
        assertThat(at).as("the patch's lines in %s", file).isNotNegative();
        assertThat(s.indexOf(before.toString(), at + 1)).as("the patch's lines once").isNegative();
        Files.writeString(file, s.substring(0, at) + after + s.substring(at + before.length()));
    }

    private record Run(int exit, String output) {
    }

    /** Runs a command block with bash in {@code dir}, {@code bin} first on the path; bounded, output read off this thread. */
    private static Run run(Path bin, Path dir, String commands) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "-e", "-c", commands).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        Process p = pb.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = p.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(output lost: " + e + ")";
            }
        });
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("'" + commands.strip() + "' did not end; it printed:\n" + out.getNow("(nothing yet)"));
        }
        return new Run(p.exitValue(), out.get(1, TimeUnit.MINUTES));
    }

    /** {@code mvn}: this project's wrapper, offline, this build's Altitude first, the user's repository after it. */
    private static Path mvnShim(Path bin, Path repo) throws IOException {
        Files.createDirectories(bin);
        Path tail = Path.of(System.getProperty("user.home"), ".m2", "repository");
        Path mvn = bin.resolve("mvn");
        Files.writeString(mvn, "#!/bin/sh\nexport JAVA_HOME='" + System.getProperty("java.home") + "'\nexec '"
                + ROOT.resolve("mvnw") + "' -B -o -Dmaven.repo.local='" + repo + "' -Dmaven.repo.local.tail='" + tail
                + "' \"$@\"\n");
        Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    /** A local repository with this build's parent pom and the core, nio and test-kit jars (made from their classes). */
    private static Path localRepository(Path repo) throws IOException {
        install(repo, "altitude-parent", ROOT.resolve("pom.xml"), null);
        install(repo, "altitude-core", ROOT.resolve("core/pom.xml"), ROOT.resolve("core/target/classes"));
        install(repo, "altitude-nio", ROOT.resolve("nio/pom.xml"), ROOT.resolve("nio/target/classes"));
        install(repo, "altitude-test", ROOT.resolve("testkit/pom.xml"), ROOT.resolve("testkit/target/classes"));
        return repo;
    }

    private static void install(Path repo, String artifact, Path pom, Path classes) throws IOException {
        Path dir = Files.createDirectories(repo.resolve("dev/altitude").resolve(artifact).resolve(VERSION));
        Files.copy(pom, dir.resolve(artifact + "-" + VERSION + ".pom"));
        if (classes == null) {
            return;
        }
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(dir.resolve(artifact + "-" + VERSION + ".jar")));
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                jar.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                try (InputStream in = Files.newInputStream(f)) {
                    in.transferTo(jar);
                }
                jar.closeEntry();
            }
        }
    }
}
