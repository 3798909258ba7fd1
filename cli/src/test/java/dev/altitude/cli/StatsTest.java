package dev.altitude.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.CallbackData;
import dev.altitude.core.FileObject;
import dev.altitude.core.FilterManager;
import dev.altitude.core.IoParameters;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.MemoryBackend;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.PreOpStatus;
import dev.altitude.core.Volume;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code fltmc filters/instances --stats}: the daemon's counters from its own events. */
@Timeout(60)
class StatsTest {
    private final FilterManager manager = FilterManager.create();
    private final Volume volume = manager.mountVolume("vol", new MemoryBackend());
    private final Stats stats = new Stats(manager);
    private final Semaphore flushed = new Semaphore(0);

    @AfterEach
    void close() {
        stats.close();
        manager.close();
    }

    /** Waits, flush by flush, until the rows satisfy {@code p}; a hang guard only bounds it. */
    private List<Stats.Row> awaitRows(boolean perInstance, Predicate<List<Stats.Row>> p) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            List<Stats.Row> rows = perInstance ? stats.instances() : stats.filters();
            if (p.test(rows)) {
                return rows;
            }
            long left = end - System.nanoTime();
            assertThat(left).as("the counters came: %s", rows).isPositive();
            flushed.tryAcquire(left, TimeUnit.NANOSECONDS);
        }
    }

    @Test
    void operationsFailuresLatencyAndListingsComeFromTheEvents() throws Exception {
        stats.afterEachFlush(flushed::release);
        dev.altitude.fuse.TestFilters.load(manager, "counted", "300", b -> b
                .onOperation(MajorFunction.CREATE, (d, o) -> PreOpStatus.SUCCESS_WITH_CALLBACK, (d, o, c, dr) -> PostOpStatus.FINISHED_PROCESSING)
                .onOperation(MajorFunction.READ, (d, o) -> PreOpStatus.SUCCESS_WITH_CALLBACK, (d, o, c, dr) -> PostOpStatus.FINISHED_PROCESSING));
        List<NtStatus> statuses = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            FileObject fo = new FileObject("/f" + i);
            statuses.add(volume.perform(new CallbackData(fo, new IoParameters.Create(Set.of(IoParameters.Access.READ_DATA),
                    i < 3 ? IoParameters.CreateDisposition.OPEN_IF : IoParameters.CreateDisposition.OPEN, Set.of(),
                    IoParameters.FileKind.FILE, null, null))));
            if (i < 3) {
                volume.perform(new CallbackData(fo, new IoParameters.Read(0, java.nio.ByteBuffer.allocate(1))));
            }
        }
        assertThat(statuses.subList(3, 5)).allMatch(NtStatus::isFailure); // OPEN of files that are not there
        List<Stats.Row> rows = awaitRows(true, r -> !r.isEmpty() && r.getFirst().operations() == 8);
        Stats.Row row = rows.getFirst();
        assertThat(row.filter()).isEqualTo("counted");
        assertThat(row.instance()).isEqualTo("counted Instance");
        assertThat(row.byMajor()).containsEntry("CREATE", 5L).containsEntry("READ", 3L);
        assertThat(row.failures()).as("2 opens of missing files, 3 reads at the end of an empty one").isEqualTo(5);
        assertThat(row.nonSuccess()).containsEntry("STATUS_OBJECT_NAME_NOT_FOUND", 2L).containsEntry("STATUS_END_OF_FILE", 3L);
        assertThat(row.callbacks()).isEqualTo(16);
        assertThat(row.maxMicros()).isGreaterThanOrEqualTo(row.p99Micros()).isGreaterThanOrEqualTo(row.p50Micros());
        assertThat(row.p50Micros()).isPositive();

        Fltmc fltmc = new Fltmc(manager, new FilterJars(null));
        assertThat(fltmc.execute(new ControlProtocol.Request(false, List.of("filters", "--stats"))).exit()).as("no --stats daemon")
                .isEqualTo(1);
        fltmc.stats(stats);
        List<String> text = fltmc.execute(new ControlProtocol.Request(false, List.of("filters", "--stats"))).lines().stream()
                .map(ControlProtocol.Line::text).toList();
        assertThat(text.get(1)).startsWith("counted").contains(" 8 ").contains(" 5 ");
        assertThat(text).contains("    by major function: CREATE 5, READ 3");
        List<String> json = fltmc.execute(new ControlProtocol.Request(true, List.of("instances", "--stats"))).lines().stream()
                .map(ControlProtocol.Line::text).toList();
        assertThat(json).singleElement().satisfies(j -> assertThat(j).startsWith("{\"filter\":\"counted\",\"instance\":\"counted Instance\",\"operations\":8,")
                .contains("\"byMajor\":{\"CREATE\":5,\"READ\":3}").contains("\"failures\":5"));
    }
}
