package dev.altitude.test;

import dev.altitude.core.CallbackData;
import dev.altitude.core.FileInformationClass;
import dev.altitude.core.FileObject;
import dev.altitude.core.IoParameters;
import dev.altitude.core.NtStatus;
import dev.altitude.core.Volume;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

/**
 * What the torture's threads do, as a front end would send it: each step opens a file (CREATE), does its I/O,
 * and closes it (CLEANUP, CLOSE), or stops where the open failed. Which step, on which file and with which
 * bytes is drawn from the thread's own seeded random numbers: a seed gives the same sequence of steps on every
 * thread (their interleaving is the scheduler's).
 */
public final class IoMix {
    /** One kind of step. */
    public enum Step {
        /** Open for reading, read the first block, close. */
        READ,
        /** Open (creating if missing) for writing, write a block at the start, close. */
        WRITE,
        /** Create a new file, write a block, mark it for deletion, close. */
        CREATE_DELETE,
        /** Open the root directory and list it. */
        LIST
    }

    private final Map<Step, Integer> weights;
    private final List<String> files;
    private final Function<Random, byte[]> content;

    private IoMix(Map<Step, Integer> weights, List<String> files, Function<Random, byte[]> content) {
        this.weights = weights;
        this.files = files;
        this.content = content;
    }

    /** Reads and writes 4 : 3, one create-and-delete and one listing in ten, over four files of common types. */
    public static IoMix defaults() {
        Map<Step, Integer> w = new EnumMap<>(Step.class);
        w.put(Step.READ, 4);
        w.put(Step.WRITE, 3);
        w.put(Step.CREATE_DELETE, 2);
        w.put(Step.LIST, 1);
        return new IoMix(w, List.of("/a.txt", "/b.exe", "/c.doc", "/d.bin"), r -> {
            byte[] b = new byte[64];
            r.nextBytes(b);
            return b;
        });
    }

    /** The same mix with {@code step} weighted {@code weight} (0 leaves it out). */
    public IoMix weight(Step step, int weight) {
        if (weight < 0) {
            throw new IllegalArgumentException("a weight is 0 or more: " + weight);
        }
        Map<Step, Integer> w = new EnumMap<>(weights);
        w.put(step, weight);
        return new IoMix(w, files, content);
    }

    /** The same mix over these files (absolute paths on the volume; they exist before the first load). */
    public IoMix files(String... paths) {
        if (paths.length == 0) {
            throw new IllegalArgumentException("at least one file");
        }
        return new IoMix(weights, List.of(paths), content);
    }

    /** The same mix writing what {@code content} makes from the thread's random numbers. */
    public IoMix content(Function<Random, byte[]> content) {
        return new IoMix(weights, files, content);
    }

    /** Creates the mix's files, and the directories they are in, on {@code volume} (before any filter is loaded). */
    void prepare(Volume volume) {
        for (String f : files) {
            for (int slash = f.indexOf('/', 1); slash > 0; slash = f.indexOf('/', slash + 1)) {
                FileObject dir = new FileObject(f.substring(0, slash));
                if (volume.perform(new CallbackData(dir, create(IoParameters.CreateDisposition.OPEN_IF,
                        IoParameters.Access.READ_DATA, IoParameters.FileKind.DIRECTORY))).isSuccess()) {
                    close(volume, dir);
                }
            }
            FileObject fo = new FileObject(f);
            NtStatus s = volume.perform(new CallbackData(fo, create(IoParameters.CreateDisposition.OPEN_IF,
                    IoParameters.Access.WRITE_DATA, IoParameters.FileKind.FILE)));
            if (s.isSuccess()) {
                volume.perform(new CallbackData(fo, new IoParameters.Write(0, ByteBuffer.wrap(new byte[64]))));
                close(volume, fo);
            }
        }
    }

    private Step draw(Random r) {
        int total = weights.values().stream().mapToInt(Integer::intValue).sum();
        if (total == 0) {
            throw new IllegalStateException("every step of the mix has weight 0");
        }
        int n = r.nextInt(total);
        for (Map.Entry<Step, Integer> e : weights.entrySet()) {
            n -= e.getValue();
            if (n < 0) {
                return e.getKey();
            }
        }
        throw new AssertionError();
    }

    /** The operations one thread sends and what they returned. */
    static final class Counts {
        long issued;
        long returned;
        final Map<String, Long> statuses = new java.util.TreeMap<>();

        void count(NtStatus s) {
            returned++;
            if (!s.isSuccess()) {
                statuses.merge(s.name(), 1L, Long::sum);
            }
        }
    }

    /** One step on {@code volume}; {@code unique} names a created file. */
    void step(Volume volume, Random r, long unique, Counts counts) {
        Step step = draw(r);
        String path = switch (step) {
            case CREATE_DELETE -> "/torture-" + Thread.currentThread().threadId() + "-" + unique + ".tmp";
            case LIST -> "/";
            default -> files.get(r.nextInt(files.size()));
        };
        FileObject fo = new FileObject(path);
        IoParameters.Create open = switch (step) {
            case READ -> create(IoParameters.CreateDisposition.OPEN, IoParameters.Access.READ_DATA, IoParameters.FileKind.FILE);
            case WRITE -> create(IoParameters.CreateDisposition.OPEN_IF, IoParameters.Access.WRITE_DATA, IoParameters.FileKind.FILE);
            case CREATE_DELETE -> create(IoParameters.CreateDisposition.CREATE, IoParameters.Access.WRITE_DATA, IoParameters.FileKind.FILE);
            case LIST -> create(IoParameters.CreateDisposition.OPEN, IoParameters.Access.READ_DATA, IoParameters.FileKind.DIRECTORY);
        };
        if (!send(volume, new CallbackData(fo, open), counts).isSuccess()) {
            return;
        }
        switch (step) {
            case READ -> send(volume, new CallbackData(fo, new IoParameters.Read(0, ByteBuffer.allocate(64))), counts);
            case WRITE -> send(volume, new CallbackData(fo, new IoParameters.Write(0, ByteBuffer.wrap(content.apply(r)))), counts);
            case CREATE_DELETE -> {
                send(volume, new CallbackData(fo, new IoParameters.Write(0, ByteBuffer.wrap(content.apply(r)))), counts);
                send(volume, new CallbackData(fo, new IoParameters.SetInformation(FileInformationClass.FileDispositionInformation,
                        new IoParameters.FileInformation.Disposition(true))), counts);
            }
            case LIST -> send(volume, new CallbackData(fo, new IoParameters.DirectoryControl("*", false)), counts);
        }
        send(volume, new CallbackData(fo, new IoParameters.Cleanup()), counts);
        send(volume, new CallbackData(fo, new IoParameters.Close()), counts);
    }

    private static NtStatus send(Volume volume, CallbackData d, Counts counts) {
        counts.issued++;
        NtStatus s = volume.perform(d);
        counts.count(s);
        return s;
    }

    private static IoParameters.Create create(IoParameters.CreateDisposition disposition, IoParameters.Access access,
                                              IoParameters.FileKind kind) {
        return new IoParameters.Create(Set.of(access), disposition, Set.of(), kind, null, null);
    }

    private static void close(Volume volume, FileObject fo) {
        volume.perform(new CallbackData(fo, new IoParameters.Cleanup()));
        volume.perform(new CallbackData(fo, new IoParameters.Close()));
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        weights.forEach((k, v) -> parts.add(k + "=" + v));
        return "IoMix" + parts + " over " + files;
    }
}
