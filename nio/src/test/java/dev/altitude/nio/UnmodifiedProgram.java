package dev.altitude.nio;

import java.io.FileOutputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;

/** A program that knows nothing of Altitude: plain NIO (and one java.io write, which is not filtered). */
public final class UnmodifiedProgram {
    private UnmodifiedProgram() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.writeString(dir.resolve("hello.txt"), "hello");
        String text = Files.readString(dir.resolve("hello.txt"));
        long entries;
        try (var list = Files.list(dir)) {
            entries = list.count();
        }
        Files.move(dir.resolve("hello.txt"), dir.resolve("moved.txt"));
        Files.delete(dir.resolve("moved.txt"));
        try (FileOutputStream out = new FileOutputStream(dir.resolve("io.txt").toFile())) {
            out.write(1);
        }
        String watched;
        Path w = Files.createDirectory(dir.resolve("w"));
        try (var watcher = FileSystems.getDefault().newWatchService()) {
            var key = w.register(watcher, java.nio.file.StandardWatchEventKinds.ENTRY_CREATE);
            Files.createFile(w.resolve("new.txt"));
            var signalled = watcher.poll(60, java.util.concurrent.TimeUnit.SECONDS);
            watched = signalled == key ? key.pollEvents().get(0).context().toString() : "nothing";
        }
        Files.delete(w.resolve("new.txt"));
        Files.delete(w);
        System.out.println("read " + text + ", " + entries + " entries, watched " + watched + ", default file system "
                + FileSystems.getDefault().getClass().getName());
    }
}
