package dev.altitude.nio;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** Tests that hold a volume to its base: two empty directories of one provider, and what a test opened, closed after it. */
abstract class TwoBases {
    @TempDir
    Path temp;

    /** Closed after the test, the last opened first. */
    final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    /** {@code raw} and {@code alt}: on the disk ({@code kind} "disk"), or in a jimfs of {@code jimfs}'s configuration. */
    Path[] bases(String kind, Configuration jimfs) throws IOException {
        if (kind.equals("disk")) {
            return new Path[] {Files.createDirectory(temp.resolve("raw")), Files.createDirectory(temp.resolve("alt"))};
        }
        FileSystem fs = Jimfs.newFileSystem(jimfs);
        open.add(fs);
        return new Path[] {Files.createDirectory(fs.getPath("/raw")), Files.createDirectory(fs.getPath("/alt"))};
    }
}
