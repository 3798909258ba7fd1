package dev.altitude.samples.simrep;

import dev.altitude.core.CallbackData;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.FileNameInformation;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.IoParameters;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PreOpStatus;
import dev.altitude.core.RelatedObjects;
import dev.altitude.core.UnloadFlag;
import java.util.Set;

/**
 * simRep: every open of a name in the subtree {@code from} (parameter, default {@code /old}) is sent to the same
 * name under {@code to} (default {@code /new}): its pre-create replaces the file object's name and completes the
 * open with {@code STATUS_REPARSE}, and the open goes down the stack again under the new name. Renames and hard
 * links whose destination is in the subtree are sent there too (their parameters replaced), so a rename inside
 * the mapped tree stays inside it. The original simRep does not follow renames; this one does, and like it, it
 * does not change names in directory listings (they are the entries' own names, the same under both).
 *
 * <p>It attaches only to volumes that can redirect (not a real volume seen through fanotify). Files opened through
 * the redirection stay open on the new name after an unload; opens after it are not
 * redirected.
 */
public final class SimRep implements FilterDriver {
    public static final String NAME = "simrep";

    private Filter filter;
    private String from;
    private String to;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        from = FileNameInformation.of(null, config.parameter("from").orElse("/old")).name();
        to = FileNameInformation.of(null, config.parameter("to").orElse("/new")).name();
        if (from.equals("/") || under(to, from) || under(from, to)) {
            System.getLogger(NAME).log(System.Logger.Level.ERROR, "simrep: from (" + from + ") and to (" + to
                    + ") must be two subtrees, neither inside the other nor the root");
            return NtStatus.INVALID_PARAMETER;
        }
        filter = manager.registerFilter(FilterRegistration.builder(NAME).altitude("137100")
                .onInstanceSetup((objects, flags, type) -> objects.volume().capabilities().redirects() ? NtStatus.SUCCESS
                        : NtStatus.FLT_DO_NOT_ATTACH) // a real volume's kernel opens what the process named
                .onPreOperation(MajorFunction.CREATE, this::preCreate)
                .onPreOperation(MajorFunction.SET_INFORMATION, this::preSetInformation)
                .onUnload(this::unload)
                .build());
        return filter.startFiltering();
    }

    private NtStatus unload(Set<UnloadFlag> flags) {
        filter.unregister();
        return NtStatus.SUCCESS;
    }

    /** Is {@code path} {@code tree} or inside it? Both normalized. */
    static boolean under(String path, String tree) {
        return path.equals(tree) || path.startsWith(tree.endsWith("/") ? tree : tree + "/");
    }

    /** {@code path} moved from the mapped subtree to the target one (it is under {@link #from}). */
    private String mapped(String path) {
        return to + path.substring(from.length());
    }

    private PreOpStatus preCreate(CallbackData data, RelatedObjects objects) {
        if (data.fileObject() == null) {
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }
        IoParameters.Create c = data.parameters(IoParameters.Create.class);
        if (c.kind() == IoParameters.FileKind.HARD_LINK && c.linkTarget() != null) {
            String existing = FileNameInformation.of(null, c.linkTarget()).name();
            if (under(existing, from)) { // the file a new link names is in the subtree: it is the target's file
                data.setParameters(new IoParameters.Create(c.access(), c.disposition(), c.options(), c.kind(),
                        mapped(existing), c.mode(), c.device(), c.umask()));
            }
        }
        String name = data.fileNameInformation().name();
        if (!under(name, from)) {
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }
        data.replaceFileName(mapped(name));
        data.complete(NtStatus.REPARSE, 0);
        return PreOpStatus.COMPLETE;
    }

    private PreOpStatus preSetInformation(CallbackData data, RelatedObjects objects) {
        IoParameters.SetInformation s = data.parameters(IoParameters.SetInformation.class);
        if (s.information() instanceof IoParameters.FileInformation.Rename r) {
            String target = data.destinationNameInformation().name();
            if (under(target, from)) {
                data.setParameters(new IoParameters.SetInformation(s.informationClass(),
                        new IoParameters.FileInformation.Rename(mapped(target), r.replaceIfExists(), r.kind())));
            }
        }
        return PreOpStatus.SUCCESS_NO_CALLBACK;
    }
}
