package dev.altitude.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.altitude.samples.delete.Delete;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class DeleteTest extends SampleFixture {
    @Test
    void aPlainDeleteAndADeleteOnCloseAreEachReportedOnce() throws Exception {
        Delete d = load(Delete::new);
        Files.writeString(base.resolve("plain"), "x");
        Files.delete(path("/plain"));
        Files.writeString(base.resolve("temp"), "x");
        try (FileChannel ch = FileChannel.open(path("/temp"), StandardOpenOption.READ, StandardOpenOption.DELETE_ON_CLOSE)) {
            ch.size();
        }
        assertThat(d.deleted()).containsExactly("/plain", "/temp");
        assertThat(base.resolve("plain")).doesNotExist();
        assertThat(base.resolve("temp")).doesNotExist();
    }

    @Test
    void aDeleteThatDidNotHappenIsNotReported() throws Exception {
        Delete d = load(Delete::new);
        assertThatThrownBy(() -> Files.delete(path("/missing"))).isInstanceOf(NoSuchFileException.class);
        Files.createDirectories(base.resolve("dir/child"));
        assertThatThrownBy(() -> Files.delete(path("/dir"))).isInstanceOf(DirectoryNotEmptyException.class);
        Files.writeString(base.resolve("kept"), "x");
        try (FileChannel ch = FileChannel.open(path("/kept"), StandardOpenOption.READ)) {
            ch.size();
        }
        assertThat(d.deleted()).isEmpty();
    }

    @RepeatedTest(5)
    void racingDeletersOfOneFileGiveOneReport() throws Exception {
        Delete d = load(Delete::new);
        Files.writeString(base.resolve("contested"), "x");
        int n = 6;
        CyclicBarrier go = new CyclicBarrier(n);
        AtomicInteger succeeded = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                    Files.delete(path("/contested"));
                    succeeded.incrementAndGet();
                } catch (NoSuchFileException expected) {
                    // another deleter won
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(succeeded.get()).isEqualTo(1);
        assertThat(d.deleted()).containsExactly("/contested");
    }
}
