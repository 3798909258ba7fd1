package dev.altitude.cli;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.FilterClient;
import dev.altitude.core.FilterManager;
import dev.altitude.nio.AltitudeFileSystem;
import dev.altitude.nio.AltitudeFileSystemProvider;
import dev.altitude.samples.minispy.MiniSpy;
import dev.altitude.samples.minispy.MiniSpyMessages;
import dev.altitude.samples.scanner.Scanner;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;

/**
 * The main job: a filter manager with an NIO volume over a fresh directory, the scanner with its user-mode
 * client in a second process, and minispy logging; files opened and written through the volume, a foul one
 * refused; then the scanner unloads while its client waits, and the client exits on its own.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the scanner and minispy samples over a volume, with the scanner's client as another process.")
final class DemoCommand implements Callable<Integer> {
    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("altitude-demo");
        try {
            return run(dir);
        } finally {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private void step(String s) {
        out.println();
        out.println("== " + s);
    }

    private int run(Path dir) throws Exception {
        Path data = Files.createDirectory(dir.resolve("data"));
        try (FilterManager manager = FilterManager.builder().portDirectory(dir.resolve("ports")).build();
             AltitudeFileSystem fs = AltitudeFileSystemProvider.mount(manager, "data", data)) {
            step("a volume 'data' over " + data + "; minispy attached to it, the scanner watching .txt files");
            out.println("load minispy: " + manager.loadFilter(MiniSpy.NAME));
            manager.attach(MiniSpy.NAME, "data", null, null);
            out.println("load scanner: " + manager.loadFilter(DriverConfig.of(Scanner.NAME).withParameter("extensions", "txt")));
            manager.filters().forEach(f -> out.printf("  %-10s altitude %-7s instances %d%n", f.name(), f.altitude(), f.instances()));

            step("the scanner's user-mode client starts in another process: altitude scanuser --port-dir " + dir.resolve("ports"));
            Process client = new ProcessBuilder(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
                    System.getProperty("java.class.path"), Main.class.getName(), "scanuser", "--port-dir",
                    dir.resolve("ports").toString())).redirectErrorStream(true).start();
            BlockingQueue<String> said = new LinkedBlockingQueue<>();
            Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        out.println("  [scanuser pid " + client.pid() + "] " + line);
                        said.add(line);
                    }
                } catch (IOException e) {
                    said.add("EOF");
                }
            });
            String first = said.poll(30, TimeUnit.SECONDS);
            if (first == null || !first.startsWith("scanuser: connected")) {
                out.println("the client did not connect: " + first);
                client.destroyForcibly();
                return 1;
            }

            step("I/O through the volume");
            Files.writeString(fs.getPath("/hello.txt"), "hello, world");
            out.println("write /hello.txt: done; read: " + Files.readString(fs.getPath("/hello.txt")));
            Files.writeString(data.resolve("foul.txt"), "some foul content, written behind the filter's back");
            try {
                Files.readString(fs.getPath("/foul.txt"));
                out.println("read /foul.txt: allowed (unexpected)");
            } catch (java.nio.file.AccessDeniedException e) {
                out.println("read /foul.txt: " + e.getClass().getSimpleName() + " (the client found it foul)");
            }
            try (FileChannel ch = FileChannel.open(fs.getPath("/hello.txt"), StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap("foul".getBytes(StandardCharsets.UTF_8)), 0);
                out.println("write 'foul' into /hello.txt: allowed (unexpected)");
            } catch (java.nio.file.AccessDeniedException e) {
                out.println("write 'foul' into /hello.txt: " + e.getClass().getSimpleName() + "; the file still reads '"
                        + Files.readString(data.resolve("hello.txt")) + "'");
            }
            Files.writeString(fs.getPath("/notes.md"), "not a .txt: not scanned");
            out.println("write /notes.md: done (not scanned)");

            step("what minispy logged (first 12 records)");
            try (FilterClient spy = FilterClient.connect(manager, MiniSpyMessages.PORT, new byte[0])) {
                var r = spy.send(MiniSpyMessages.getLog(256 * 1024), 256 * 1024);
                List<MiniSpyMessages.Record> records = MiniSpyMessages.records(r.data());
                out.println(MiniSpyMessages.Record.header());
                records.stream().limit(12).forEach(rec -> out.println(rec.toRow()));
                out.println("... " + records.size() + " records in all");
            }

            step("unload the scanner while its client waits for the next request");
            out.println("unload scanner: " + manager.unloadFilter(Scanner.NAME));
            boolean exited = client.waitFor(30, TimeUnit.SECONDS);
            out.println("client " + (exited ? "exited with " + client.exitValue() : "did not exit"));
            out.println("read /foul.txt now: '" + Files.readString(fs.getPath("/foul.txt")) + "'");
            out.println("unload minispy: " + manager.unloadFilter(MiniSpy.NAME));
            out.println("done");
            return exited && client.exitValue() == 0 ? 0 : 1;
        }
    }
}
