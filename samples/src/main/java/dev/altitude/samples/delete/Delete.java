package dev.altitude.samples.delete;

import dev.altitude.core.CallbackData;
import dev.altitude.core.Context;
import dev.altitude.core.ContextType;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.FileInformationClass;
import dev.altitude.core.FileObject;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.Instance;
import dev.altitude.core.IoParameters;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.RelatedObjects;
import dev.altitude.core.UnloadFlag;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * delete: reports each file that was really deleted, once. A create with delete-on-close or a successful
 * set-disposition marks the file's stream as delete-pending; when a handle on it is cleaned up the filter
 * checks, with its own I/O below itself, whether the file is gone, and reports it the first time. A delete
 * that failed marks nothing, so it is never reported; racing deleters of one file give one report.
 */
public final class Delete implements FilterDriver {
    public static final String NAME = "delete";

    /** Per stream: a delete was asked for, and whether it was reported. */
    static final class Deletion {
        volatile boolean pending;
        final AtomicBoolean notified = new AtomicBoolean();
    }

    private final List<String> deleted = new CopyOnWriteArrayList<>();
    private Filter filter;

    /** The paths reported deleted, in order ("A file ... has been deleted" each). */
    public List<String> deleted() {
        return deleted;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        filter = manager.registerFilter(FilterRegistration.builder(NAME).altitude("370150")
                .context(ContextType.STREAM, (value, type) -> { })
                .onInstanceQueryTeardown(objects -> NtStatus.SUCCESS)
                .onPostOperation(MajorFunction.CREATE, this::postCreate)
                .onPostOperation(MajorFunction.SET_INFORMATION, this::postSetInformation)
                .onPostOperation(MajorFunction.CLEANUP, this::postCleanup)
                .onUnload(this::unload)
                .build());
        return filter.startFiltering();
    }

    private NtStatus unload(Set<UnloadFlag> flags) {
        filter.unregister();
        return NtStatus.SUCCESS;
    }

    private void markPending(Instance instance, FileObject fo) {
        var existing = instance.<Deletion>getContext(ContextType.STREAM, fo);
        if (existing.isPresent()) {
            try (Context<Deletion> c = existing.get()) {
                c.value().pending = true;
            }
            return;
        }
        Deletion d = new Deletion();
        d.pending = true;
        try (Context<Deletion> mine = filter.allocateContext(ContextType.STREAM, d)) {
            Instance.SetResult<Deletion> r = instance.setContext(ContextType.STREAM, fo, mine, Instance.SetMode.KEEP_IF_EXISTS);
            if (r.existing() != null) {
                try (Context<Deletion> winner = r.existing()) {
                    winner.value().pending = true;
                }
            }
        } catch (NtStatusException e) {
            if (!e.status().equals(NtStatus.FLT_DELETING_OBJECT)) {
                throw e;
            } // the filter is unloading: it will not see this file's deletion
        }
    }

    private PostOpStatus postCreate(CallbackData data, RelatedObjects objects, Object context, boolean draining) {
        if (!draining && data.status().isSuccess() && data.fileObject() != null
                && data.parameters(IoParameters.Create.class).options().contains(IoParameters.CreateOption.DELETE_ON_CLOSE)) {
            markPending(objects.instance(), data.fileObject());
        }
        return PostOpStatus.FINISHED_PROCESSING;
    }

    private PostOpStatus postSetInformation(CallbackData data, RelatedObjects objects, Object context, boolean draining) {
        IoParameters.SetInformation s = data.parameters(IoParameters.SetInformation.class);
        if (!draining && data.status().isSuccess()
                && s.information() instanceof IoParameters.FileInformation.Disposition d && d.deleteFile()) {
            markPending(objects.instance(), data.fileObject());
        }
        return PostOpStatus.FINISHED_PROCESSING;
    }

    private PostOpStatus postCleanup(CallbackData data, RelatedObjects objects, Object context, boolean draining) {
        if (draining || data.fileObject() == null) {
            return PostOpStatus.FINISHED_PROCESSING;
        }
        var c = objects.instance().<Deletion>getContext(ContextType.STREAM, data.fileObject());
        if (c.isPresent()) {
            try (Context<Deletion> d = c.get()) {
                if (d.value().pending && isGone(objects.instance(), data.fileObject().path())
                        && d.value().notified.compareAndSet(false, true)) {
                    deleted.add(data.fileObject().path());
                    System.getLogger(NAME).log(System.Logger.Level.INFO, "A file " + data.fileObject().path() + " has been deleted");
                }
            }
        }
        return PostOpStatus.FINISHED_PROCESSING;
    }

    /** Asks the file system below this instance whether the file still exists. */
    private static boolean isGone(Instance instance, String path) {
        FileObject fo;
        try {
            fo = instance.createFile(path, new IoParameters.Create(Set.of(IoParameters.Access.READ_ATTRIBUTES),
                    IoParameters.CreateDisposition.OPEN, Set.of(IoParameters.CreateOption.OPEN_REPARSE_POINT),
                    IoParameters.FileKind.FILE, null, null));
        } catch (dev.altitude.core.NtStatusException e) {
            return e.status().equals(NtStatus.OBJECT_NAME_NOT_FOUND) || e.status().equals(NtStatus.OBJECT_PATH_NOT_FOUND);
        }
        try {
            NtStatus s = instance.performIo(new CallbackData(fo,
                    new IoParameters.QueryInformation(FileInformationClass.FileBasicInformation)));
            return s.equals(NtStatus.OBJECT_NAME_NOT_FOUND) || s.equals(NtStatus.OBJECT_PATH_NOT_FOUND);
        } finally {
            instance.closeFile(fo);
        }
    }
}
