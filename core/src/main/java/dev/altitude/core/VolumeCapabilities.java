package dev.altitude.core;

import java.util.EnumSet;
import java.util.Set;

/**
 * What a volume's front end can present to filters. A FUSE or NIO volume presents every operation before the file
 * system runs it, so a filter may refuse, change or complete any of them. A real file system seen through fanotify
 * presents only opens (pre-{@code CREATE}, executions included) and reads (pre-{@code READ}) before they happen, and
 * tells of creates, deletes, renames, attribute changes, writes and closes after the fact (post-operations with no
 * pre-operation).
 *
 * <p>An instance setup reads them through {@code objects.volume().capabilities()} and may refuse the volume
 * ({@link NtStatus#FLT_DO_NOT_ATTACH}); an instance whose filter registered a pre-operation the volume cannot present
 * still attaches, with {@link NtStatus#FLT_PRE_OPERATIONS_NOT_DELIVERED} as its {@link Instance#attachStatus()} and
 * a diagnostic naming the operations.
 *
 * @param preOperations the major functions whose pre-operations run before the file system acts
 * @param postOnly      the major functions reported only after the fact: their post-operations run with no
 *                      pre-operation (a pre-operation registered for them is never called)
 * @param changesData   whether a filter can change or complete a read or write with data of its own
 * @param redirects     whether a filter can send an open elsewhere ({@code STATUS_REPARSE}) or change names
 * @param fillsContent  whether a pre-{@code READ} can write the file's content before the read goes on (the
 *                      hierarchical-storage case of fanotify's pre-content events)
 */
public record VolumeCapabilities(Set<MajorFunction> preOperations, Set<MajorFunction> postOnly, boolean changesData,
                                 boolean redirects, boolean fillsContent) {
    /** Every operation before it happens: FUSE, NIO and memory volumes. */
    public static final VolumeCapabilities FULL = new VolumeCapabilities(EnumSet.allOf(MajorFunction.class),
            Set.of(), true, true, false);

    public VolumeCapabilities {
        preOperations = preOperations.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(preOperations));
        postOnly = Set.copyOf(postOnly);
    }

    /** Can a pre-operation of {@code major} run before the file system acts? */
    public boolean presents(MajorFunction major) {
        return preOperations.contains(major);
    }
}
