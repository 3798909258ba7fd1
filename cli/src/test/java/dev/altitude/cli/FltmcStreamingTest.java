package dev.altitude.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.CallbackData;
import dev.altitude.core.FileObject;
import dev.altitude.core.FilterManager;
import dev.altitude.core.IoParameters;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.MemoryBackend;
import dev.altitude.core.PreOpStatus;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the daemon streams while a request runs: an unload's waits, and a trace of its events. */
@Timeout(60)
class FltmcStreamingTest {
    private final FilterManager manager = FilterManager.create();
    private final Fltmc fltmc = new Fltmc(manager, new FilterJars(null));

    @AfterEach
    void close() {
        manager.close();
    }

    /** A sink as the server's: lines arrive while the request runs; a waiter wakes at each. */
    private static final class Lines extends java.util.AbstractList<ControlProtocol.Line> {
        final List<ControlProtocol.Line> lines = Collections.synchronizedList(new ArrayList<>());

        @Override
        public synchronized boolean add(ControlProtocol.Line l) {
            lines.add(l);
            notifyAll();
            return true;
        }

        @Override
        public ControlProtocol.Line get(int i) {
            return lines.get(i);
        }

        @Override
        public int size() {
            return lines.size();
        }

        synchronized ControlProtocol.Line await(Predicate<String> p) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); // a hang guard only
            while (true) {
                for (ControlProtocol.Line l : List.copyOf(lines)) {
                    if (p.test(l.text())) {
                        return l;
                    }
                }
                long left = end - System.nanoTime();
                assertThat(left).as("a line came: %s", lines).isPositive();
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
    }

    private void load(String name, CountDownLatch release, CountDownLatch entered) {
        dev.altitude.fuse.TestFilters.load(manager, name, "300", b -> b.onPreOperation(MajorFunction.READ, (d, o) -> {
            entered.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }));
    }

    private static Thread read(dev.altitude.core.Volume v, String path) {
        return Thread.ofPlatform().start(() -> {
            FileObject fo = new FileObject(path);
            v.perform(new CallbackData(fo, new IoParameters.Create(Set.of(IoParameters.Access.READ_DATA, IoParameters.Access.WRITE_DATA),
                    IoParameters.CreateDisposition.OPEN_IF, Set.of(), IoParameters.FileKind.FILE, null, null)));
            v.perform(new CallbackData(fo, new IoParameters.Read(0, java.nio.ByteBuffer.allocate(4))));
        });
    }

    @Test
    void anUnloadThatWaitsSaysEverySecondWhatItWaitsForAndWhenItFinished() throws Exception {
        dev.altitude.core.Volume v = manager.mountVolume("vol", new MemoryBackend());
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        load("slow", release, entered);
        Thread reader = read(v, "/f");
        assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
        Lines out = new Lines();
        int[] exit = {-1};
        Thread unload = Thread.ofPlatform().start(() -> exit[0] = fltmc.execute(
                new ControlProtocol.Request(false, List.of("unload", "slow")), out));
        try {
            assertThat(out.await(t -> t.startsWith("unload slow: waiting ")).text())
                    .matches("unload slow: waiting \\d+ s for 1 RUNNING_CALLBACK; in teardown of 'slow Instance': running pre-operations");
        } finally {
            release.countDown();
        }
        unload.join(30_000);
        reader.join(30_000);
        assertThat(exit[0]).isZero();
        assertThat(out.lines.getLast().text()).startsWith("unload slow: finished after ").endsWith("STATUS_SUCCESS (0x00000000)");
    }

    @Test
    void aTraceStreamsTheCallbacksOfOneFilterAndMajorUntilTheClientCloses() throws Exception {
        dev.altitude.core.Volume v = manager.mountVolume("vol", new MemoryBackend());
        CountDownLatch release = new CountDownLatch(0);
        load("traced", release, new CountDownLatch(1));
        Lines out = new Lines();
        CountDownLatch clientClosed = new CountDownLatch(1);
        int[] exit = {-1};
        Thread trace = Thread.ofPlatform().start(() -> exit[0] = Trace.run(out, List.of("traced", "--major", "read"), false, () -> {
            try {
                clientClosed.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        out.await(t -> t.startsWith("tracing traced, [READ]"));
        read(v, "/traced.txt").join(30_000); // after the stream started: the recording has it
        ControlProtocol.Line line = out.await(t -> t.contains(" Callback "));
        assertThat(line.text()).contains("filter=traced").contains("major=READ").contains("callback=pre")
                .contains("path=/traced.txt").contains("status=SUCCESS_NO_CALLBACK");
        assertThat(out.lines).noneSatisfy(l -> assertThat(l.text()).contains("major=CREATE"));
        clientClosed.countDown();
        trace.join(30_000);
        assertThat(trace.isAlive()).isFalse();
        assertThat(exit[0]).isZero();
        assertThat(fltmc.execute(new ControlProtocol.Request(false, List.of("trace", "--major", "NOPE"))).exit()).isEqualTo(2);
    }
}
