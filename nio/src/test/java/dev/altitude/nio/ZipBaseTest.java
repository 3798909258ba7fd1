package dev.altitude.nio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.FilterManager;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A volume over a zip file system: the filters see the I/O, the zip holds the files afterwards. */
class ZipBaseTest {
    @TempDir
    Path dir;

    @Test
    void aZipFileSystemCanBeTheBase() throws Exception {
        Path zip = dir.resolve("archive.zip");
        try (FileSystem zipfs = FileSystems.newFileSystem(zip, Map.of("create", "true"));
             FilterManager manager = FilterManager.builder().verifier(true).build();
             AltitudeFileSystem fs = AltitudeFileSystemProvider.mount(manager, "zip", zipfs.getPath("/"))) {
            Trace trace = Trace.load(manager, "trace", "370000", true);
            Files.createDirectory(fs.getPath("/docs"));
            Files.writeString(fs.getPath("/docs/readme.txt"), "inside a zip");
            Files.copy(fs.getPath("/docs/readme.txt"), fs.getPath("/docs/copy.txt"));
            try (var list = Files.list(fs.getPath("/docs"))) {
                assertThat(list.map(p -> p.getFileName().toString()).sorted()).containsExactly("copy.txt", "readme.txt");
            }
            assertThat(Files.readString(fs.getPath("/docs/copy.txt"))).isEqualTo("inside a zip");
            assertThat(trace.take()).contains("WRITE /docs/readme.txt", "READ /docs/readme.txt", "WRITE /docs/copy.txt",
                    "DIRECTORY_CONTROL /docs");
            assertThat(fs.volume().fileSystemType()).isEqualTo("nio:jar");
        }
        try (FileSystem again = FileSystems.newFileSystem(zip)) {
            assertThat(Files.readString(again.getPath("/docs/readme.txt"))).isEqualTo("inside a zip");
        }
    }
}
