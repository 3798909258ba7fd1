package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What each pre-operation status does to the way down and the way up. */
class DispatchTest extends ManagerFixture {

    @Test
    void synchronizeGetsItsPostOnTheRequestingThreadAndNoCallbackGetsNone() {
        List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
        String me = Thread.currentThread().getName();
        TestFilter.load(manager, "sync", "300", b -> b.onOperation(MajorFunction.READ,
                (d, o) -> PreOpStatus.SYNCHRONIZE, (d, o, c, dr) -> {
                    events.add("post sync on " + (Thread.currentThread().getName().equals(me) ? "requester" : "other"));
                    return PostOpStatus.FINISHED_PROCESSING;
                }));
        TestFilter.load(manager, "nocb", "200", b -> b.onOperation(MajorFunction.READ,
                (d, o) -> PreOpStatus.SUCCESS_NO_CALLBACK, (d, o, c, dr) -> {
                    events.add("post nocb");
                    return PostOpStatus.FINISHED_PROCESSING;
                }));
        TestFilter.load(manager, "fastio", "100", b -> b.onOperation(MajorFunction.READ,
                (d, o) -> PreOpStatus.DISALLOW_FASTIO, (d, o, c, dr) -> {
                    events.add("post fastio");
                    return PostOpStatus.FINISHED_PROCESSING;
                }));
        TestFilter.create(volume, "/f");
        TestFilter.read(volume, "/f", 1);
        assertThat(events).containsExactly("post sync on requester");
    }

    @Test
    void aQueryOpenDisallowedStopsThereThePostsAboveRunAndTheFrontEndIsToldSo() {
        List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
        for (String[] f : new String[][] {{"above", "300", "SUCCESS_WITH_CALLBACK"}, {"gate", "200", "DISALLOW_FSFILTER_IO"},
                {"below", "100", "SUCCESS_WITH_CALLBACK"}}) {
            TestFilter.load(manager, f[0], f[1], b -> b.onOperation(MajorFunction.QUERY_OPEN, (d, o) -> {
                events.add("pre " + f[0]);
                return PreOpStatus.valueOf(f[2]);
            }, (d, o, c, dr) -> {
                events.add("post " + f[0] + " " + d.status().name());
                return PostOpStatus.FINISHED_PROCESSING;
            }));
        }
        TestFilter.create(volume, "/f");
        assertThat(volume.queriesByName()).isTrue();
        CallbackData d = new CallbackData(new FileObject("/f"),
                new IoParameters.QueryOpen(FileInformationClass.FileBasicInformation, false));
        assertThat(volume.perform(d)).isEqualTo(NtStatus.FLT_DISALLOW_FAST_IO);
        assertThat(d.result()).as("the backend never saw it").isNull();
        assertThat(events).containsExactly("pre above", "pre gate", "post above STATUS_FLT_DISALLOW_FAST_IO");
        events.clear();
        CallbackData read = new CallbackData(new FileObject("/f"), new IoParameters.QueryInformation(
                FileInformationClass.FileBasicInformation));
        TestFilter.load(manager, "reader", "50", b -> b.onOperation(MajorFunction.QUERY_INFORMATION,
                (x, o) -> PreOpStatus.DISALLOW_FSFILTER_IO, (x, o, c, dr) -> PostOpStatus.FINISHED_PROCESSING));
        assertThat(volume.queriesByName()).as("an instance that sees queries without a callback for QUERY_OPEN").isFalse();
        TestFilter.create(volume, "/g");
        volume.perform(read);
        assertThat(read.status()).as("on anything else the status means no callback").isEqualTo(NtStatus.SUCCESS);
        assertThat(read.result()).isNotNull();
    }

    @Test
    void completionContextReachesThePostOfTheSameFilterOnly() {
        List<Object> contexts = java.util.Collections.synchronizedList(new ArrayList<>());
        for (String[] f : new String[][] {{"a", "300"}, {"b", "200"}}) {
            TestFilter.load(manager, f[0], f[1], b -> b.onOperation(MajorFunction.WRITE, (d, o) -> {
                if (o.filter().name().equals("a")) {
                    d.setCompletionContext("from a");
                }
                return PreOpStatus.SUCCESS_WITH_CALLBACK;
            }, (d, o, c, dr) -> {
                contexts.add(o.filter().name() + ":" + c);
                return PostOpStatus.FINISHED_PROCESSING;
            }));
        }
        TestFilter.create(volume, "/f");
        TestFilter.write(volume, "/f", "x");
        assertThat(contexts).containsExactly("b:null", "a:from a");
    }

    @Test
    void aFilterCanReplaceTheParametersForTheFiltersBelow() {
        TestFilter.load(manager, "upper", "300", b -> b.onPreOperation(MajorFunction.WRITE, (d, o) -> {
            IoParameters.Write w = d.parameters(IoParameters.Write.class);
            d.setParameters(new IoParameters.Write(w.offset(),
                    ByteBuffer.wrap("REPLACED".getBytes(StandardCharsets.UTF_8))));
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }));
        List<String> seenBelow = new ArrayList<>();
        TestFilter.load(manager, "lower", "200", b -> b.onPreOperation(MajorFunction.WRITE, (d, o) -> {
            seenBelow.add(StandardCharsets.UTF_8.decode(d.parameters(IoParameters.Write.class).buffer().duplicate())
                    + " dirty=" + d.isDirty());
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }));
        TestFilter.create(volume, "/f");
        TestFilter.write(volume, "/f", "original");
        assertThat(seenBelow).containsExactly("REPLACED dirty=true");
        assertThat(new String(backend.content("/f"), StandardCharsets.UTF_8)).isEqualTo("REPLACED");
    }

    @Test
    void withCallbackButNoPostRegisteredIsReportedAndHarmless() {
        TestFilter.load(manager, "nopost", "300", b -> b.onPreOperation(MajorFunction.READ,
                (d, o) -> PreOpStatus.SUCCESS_WITH_CALLBACK));
        TestFilter.create(volume, "/f");
        TestFilter.write(volume, "/f", "abc");
        assertThat(TestFilter.read(volume, "/f", 3).status()).isEqualTo(NtStatus.SUCCESS);
        assertThat(manager.diagnostics()).anySatisfy(d -> assertThat(d.message()).contains("0xF5/0x66"));
    }

    /**
     * {@code FLTFL_OPERATION_REGISTRATION_SKIP_CACHED_IO} and {@code SKIP_PAGING_IO}: a row skips the reads and
     * writes of its flags' kinds and sees the others; the volume says whether some instance must see every read.
     */
    @Test
    void aRowSkipsTheReadsAndWritesOfItsFlagsKindsOnly() {
        List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        TestFilter.load(manager, "nocache", "300", b -> b.onPreOperation(MajorFunction.READ, (d, o) -> {
            seen.add("nocache " + d.parameters(IoParameters.Read.class).path());
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }, OperationFlag.SKIP_CACHED_IO));
        TestFilter.load(manager, "nopaging", "200", b -> b.onPreOperation(MajorFunction.READ, (d, o) -> {
            seen.add("nopaging " + d.parameters(IoParameters.Read.class).path());
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }, OperationFlag.SKIP_PAGING_IO));
        TestFilter.create(volume, "/f");
        for (IoParameters.IoPath path : IoParameters.IoPath.values()) {
            volume.perform(new CallbackData(new FileObject("/f"), new IoParameters.Read(0, ByteBuffer.allocate(1), path)));
        }
        assertThat(seen).containsExactly("nopaging CACHED", "nocache NON_CACHED", "nopaging NON_CACHED", "nocache PAGING");
        assertThat(volume.isFilteredWithout(MajorFunction.READ, OperationFlag.SKIP_CACHED_IO)).isTrue(); // nopaging
        assertThat(manager.unloadFilter("nopaging")).isEqualTo(NtStatus.SUCCESS);
        assertThat(volume.isFilteredWithout(MajorFunction.READ, OperationFlag.SKIP_CACHED_IO)).isFalse();
        assertThat(volume.isFiltered(MajorFunction.READ)).isTrue();
        assertThat(volume.isFilteredWithout(MajorFunction.WRITE, OperationFlag.SKIP_CACHED_IO)).isFalse();
    }
}
