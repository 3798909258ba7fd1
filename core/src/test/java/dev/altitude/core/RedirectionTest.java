package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Redirection from the pre-create ({@code IoReplaceFileObjectName} and {@code STATUS_REPARSE}): the open goes down
 * the stack again under its new name, the filters above see their post-create with the reparse and then the new
 * open, the file's stream (and its contexts) is the new name's, and a reparse that never ends fails.
 */
class RedirectionTest {
    private final FilterManager manager = FilterManager.builder().verifier(true).build();
    private final Volume volume = manager.mountVolume("vol", new MemoryBackend());
    private final List<String> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        manager.close();
    }

    /** Redirects opens of names under {@code from} to the same names under {@code to}. */
    private TestFilter redirector(String altitude, String from, String to) {
        return TestFilter.load(manager, "redirect", altitude, b -> b.onPreOperation(MajorFunction.CREATE, (d, o) -> {
            String p = d.fileObject().path();
            events.add("redirect pre " + p);
            if (p.equals(from) || p.startsWith(from + "/")) {
                assertThat(d.replaceFileName(to + p.substring(from.length()))).isEqualTo(NtStatus.SUCCESS);
                d.complete(NtStatus.REPARSE, 0);
                return PreOpStatus.COMPLETE;
            }
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }));
    }

    /** Records its pre- and post-create (with the status the post sees) under {@code name}. */
    private void recorder(String name, String altitude) {
        TestFilter.load(manager, name, altitude, b -> b.onOperation(MajorFunction.CREATE, (d, o) -> {
            events.add(name + " pre " + d.fileObject().path());
            return PreOpStatus.SUCCESS_WITH_CALLBACK;
        }, (d, o, c, draining) -> {
            events.add(name + " post " + d.fileObject().path() + " " + d.status().name());
            return PostOpStatus.FINISHED_PROCESSING;
        }));
    }

    private static void mkdir(Volume v, String path) {
        FileObject fo = new FileObject(path);
        assertThat(v.perform(new CallbackData(fo, new IoParameters.Create(Set.of(), IoParameters.CreateDisposition.CREATE,
                Set.of(IoParameters.CreateOption.DIRECTORY_FILE), IoParameters.FileKind.DIRECTORY, null, null))))
                .isEqualTo(NtStatus.SUCCESS);
        TestFilter.close(v, fo);
    }

    private static void write(Volume v, String path, String text) {
        FileObject fo = TestFilter.open(v, path);
        v.perform(new CallbackData(fo, new IoParameters.Write(0, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)))));
        TestFilter.close(v, fo);
    }

    private static String read(Volume v, FileObject fo) {
        CallbackData d = new CallbackData(fo, new IoParameters.Read(0, ByteBuffer.allocate(64)));
        assertThat(v.perform(d)).isEqualTo(NtStatus.SUCCESS);
        return new String(d.parameters(IoParameters.Read.class).buffer().array(), 0, (int) d.information(), StandardCharsets.UTF_8);
    }

    @Test
    void anOpenRedirectedInThePreCreateGoesDownAgainUnderItsNewNameAndTheFiltersAboveSeeTheReparse() {
        mkdir(volume, "/real");
        write(volume, "/real/a.txt", "the real one");
        recorder("above", "400000");
        redirector("300000", "/virtual", "/real");
        recorder("below", "200000");
        events.clear();

        FileObject fo = new FileObject("/virtual/a.txt");
        NtStatus s = volume.perform(new CallbackData(fo, new IoParameters.Create(Set.of(IoParameters.Access.READ_DATA),
                IoParameters.CreateDisposition.OPEN, Set.of(), IoParameters.FileKind.FILE, null, null)));

        assertThat(s).isEqualTo(NtStatus.SUCCESS);
        assertThat(fo.path()).isEqualTo("/real/a.txt");
        assertThat(events).containsExactly(
                "above pre /virtual/a.txt", "redirect pre /virtual/a.txt",
                "above post /real/a.txt STATUS_REPARSE", // the post-create above sees the reparse ...
                "above pre /real/a.txt", "redirect pre /real/a.txt", "below pre /real/a.txt", // ... then the new open
                "below post /real/a.txt STATUS_SUCCESS", "above post /real/a.txt STATUS_SUCCESS");
        assertThat(read(volume, fo)).isEqualTo("the real one");
        TestFilter.close(volume, fo);
    }

    @Test
    void theStreamAndItsContextsAreTheNewNames() {
        mkdir(volume, "/real");
        write(volume, "/real/b", "x");
        redirector("300000", "/virtual", "/real");
        TestFilter ctx = TestFilter.load(manager, "ctx", "200000", b -> b.context(ContextType.STREAM, (v, t) -> { })
                .onPostOperation(MajorFunction.CREATE, (d, o, c, draining) -> {
                    var existing = o.instance().<String>getContext(ContextType.STREAM, d.fileObject());
                    existing.ifPresent(Context::close);
                    if (d.status().isSuccess() && existing.isEmpty()) {
                        try (Context<String> mine = o.instance().filter().allocateContext(ContextType.STREAM, "set via " + d.fileObject().path())) {
                            o.instance().setContext(ContextType.STREAM, d.fileObject(), mine, Instance.SetMode.KEEP_IF_EXISTS);
                        }
                    }
                    return PostOpStatus.FINISHED_PROCESSING;
                }));
        FileObject redirected = TestFilter.open(volume, "/virtual/b");
        FileObject direct = TestFilter.open(volume, "/real/b");
        Instance in = volume.instances().stream().filter(i -> i.filter() == ctx.filter()).findFirst().orElseThrow();
        try (Context<String> c = in.<String>getContext(ContextType.STREAM, direct).orElseThrow()) {
            assertThat(c.value()).as("one stream: the redirected open's context is the direct open's").isEqualTo("set via /real/b");
        }
        TestFilter.close(volume, redirected);
        TestFilter.close(volume, direct);
    }

    @Test
    void aReparseThatNeverEndsFailsAfterTheBound() {
        int[] passes = {0};
        TestFilter.load(manager, "loop", "300000", b -> b.onPreOperation(MajorFunction.CREATE, (d, o) -> {
            passes[0]++;
            d.replaceFileName(d.fileObject().path() + "x");
            d.complete(NtStatus.REPARSE, 0);
            return PreOpStatus.COMPLETE;
        }));
        assertThat(TestFilter.create(volume, "/f")).isEqualTo(NtStatus.REPARSE_POINT_NOT_RESOLVED);
        assertThat(passes[0]).isEqualTo(Volume.MAX_REPARSES + 1);
    }

    @Test
    void aVolumeThatCannotRedirectFailsTheReparse() {
        MemoryBackend files = new MemoryBackend();
        Volume real = manager.mountVolume("real", new VolumeBackend() {
            @Override
            public void perform(CallbackData data) {
                files.perform(data);
            }

            @Override
            public VolumeCapabilities capabilities() {
                return new VolumeCapabilities(java.util.EnumSet.allOf(MajorFunction.class), Set.of(), true, false, false);
            }
        });
        redirector("300000", "/v", "/w");
        assertThat(TestFilter.create(real, "/v/f")).isEqualTo(NtStatus.REPARSE_POINT_NOT_RESOLVED);
        assertThat(TestFilter.create(volume, "/w")).isEqualTo(NtStatus.SUCCESS);
    }

    @Test
    void aReparseWithoutANewNameFails() {
        TestFilter.load(manager, "bad", "300000", b -> b.onPreOperation(MajorFunction.CREATE, (d, o) -> {
            d.complete(NtStatus.REPARSE, 0);
            return PreOpStatus.COMPLETE;
        }));
        assertThat(TestFilter.create(volume, "/f")).isEqualTo(NtStatus.REPARSE_POINT_NOT_RESOLVED);
    }

    @Test
    void aNameIsReplacedOnlyInAPreCreateAndOnlyByAnAbsoluteOne() {
        List<NtStatus> seen = new CopyOnWriteArrayList<>();
        TestFilter.load(manager, "tries", "300000", b -> b
                .onOperation(MajorFunction.CREATE, (d, o) -> {
                    seen.add(d.replaceFileName("relative/name"));
                    return PreOpStatus.SUCCESS_WITH_CALLBACK;
                }, (d, o, c, draining) -> {
                    seen.add(d.replaceFileName("/from/the/post"));
                    return PostOpStatus.FINISHED_PROCESSING;
                })
                .onPreOperation(MajorFunction.WRITE, (d, o) -> {
                    seen.add(d.replaceFileName("/from/a/write"));
                    return PreOpStatus.SUCCESS_NO_CALLBACK;
                }));
        FileObject fo = TestFilter.open(volume, "/f");
        volume.perform(new CallbackData(fo, new IoParameters.Write(0, ByteBuffer.wrap(new byte[] {1}))));
        assertThat(seen).containsExactly(NtStatus.INVALID_PARAMETER, NtStatus.INVALID_PARAMETER, NtStatus.INVALID_PARAMETER);
        assertThat(fo.path()).isEqualTo("/f");
        TestFilter.close(volume, fo);
    }

    @Test
    void aNewNameIsNormalized() {
        mkdir(volume, "/real");
        mkdir(volume, "/real/dir");
        redirector("300000", "/v", "/real/./sub/../dir");
        FileObject fo = TestFilter.open(volume, "/v/f");
        assertThat(fo.path()).isEqualTo("/real/dir/f");
        TestFilter.close(volume, fo);
    }

    @Test
    void aRenameOrAHardLinkOffersItsDestinationAsParsedNameInformation() {
        List<FileNameInformation> seen = new CopyOnWriteArrayList<>();
        TestFilter.load(manager, "dest", "300000", b -> b
                .onPreOperation(MajorFunction.SET_INFORMATION, (d, o) -> {
                    seen.add(d.destinationNameInformation());
                    return PreOpStatus.SUCCESS_NO_CALLBACK;
                })
                .onPreOperation(MajorFunction.CREATE, (d, o) -> {
                    if (d.parameters(IoParameters.Create.class).kind() == IoParameters.FileKind.HARD_LINK) {
                        seen.add(d.destinationNameInformation());
                    } else {
                        assertThatThrownBy(d::destinationNameInformation).isInstanceOf(NtStatusException.class)
                                .hasMessageContaining("STATUS_INVALID_PARAMETER");
                    }
                    return PreOpStatus.SUCCESS_NO_CALLBACK;
                }));
        mkdir(volume, "/dir");
        FileObject fo = TestFilter.open(volume, "/dir/old.txt");
        volume.perform(new CallbackData(fo, new IoParameters.SetInformation(FileInformationClass.FileRenameInformation,
                new IoParameters.FileInformation.Rename("/dir/./sub/../new.name.txt", false))));
        volume.perform(new CallbackData(new FileObject("/dir/link"), new IoParameters.Create(Set.of(),
                IoParameters.CreateDisposition.CREATE, Set.of(), IoParameters.FileKind.HARD_LINK, "/dir/new.name.txt", null)));
        assertThat(seen).containsExactly(new FileNameInformation("vol", "/dir/new.name.txt", "/dir/", "new.name.txt", "txt"),
                new FileNameInformation("vol", "/dir/link", "/dir/", "link", ""));
        TestFilter.close(volume, fo);
    }
}
