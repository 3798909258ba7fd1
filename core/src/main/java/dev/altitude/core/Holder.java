package dev.altitude.core;

import java.security.CodeSource;
import java.time.Duration;
import java.util.List;

/**
 * One accounted rundown holder: what it is, on which instance (named, with its volume: a holder does not keep
 * its instance alive), which thread took it and when, and (in verifier mode) the call site outside Altitude where
 * it was taken. It is what the "why won't it unload?" report lists.
 */
final class Holder {
    private static final CodeSource CORE = Holder.class.getProtectionDomain().getCodeSource();
    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    final HolderKind kind;
    /** The instance's name and its volume's, or null for a holder on the filter, a port or a volume. */
    final String instance;
    final String volume;
    final String detail;
    final String thread;
    final long since = System.nanoTime();
    final List<StackTraceElement> site;

    Holder(HolderKind kind, Instance instance, String detail, boolean verifier) {
        this.kind = kind;
        this.instance = instance == null ? null : instance.name();
        this.volume = instance == null ? null : instance.volume().name();
        this.detail = detail;
        this.thread = Thread.currentThread().getName();
        this.site = verifier ? callSite() : List.of();
    }

    /** A holder whose call site was taken earlier ({@code site}: empty if none was). */
    Holder(HolderKind kind, Instance instance, String detail, List<StackTraceElement> site) {
        this.kind = kind;
        this.instance = instance == null ? null : instance.name();
        this.volume = instance == null ? null : instance.volume().name();
        this.detail = detail;
        this.thread = Thread.currentThread().getName();
        this.site = site;
    }

    /** The caller's frames, from the first one outside core's own classes. */
    static List<StackTraceElement> callSite() {
        return WALKER.walk(frames -> frames
                .dropWhile(f -> f.getDeclaringClass().getProtectionDomain().getCodeSource() == CORE)
                .limit(8).map(Holder::element).toList());
    }

    /** A frame as a report prints it: class, method, file and line, without the name of its class loader. */
    private static StackTraceElement element(StackWalker.StackFrame f) {
        StackTraceElement e = f.toStackTraceElement();
        return e.getClassLoaderName() == null ? e : new StackTraceElement(null, e.getModuleName(), e.getModuleVersion(),
                e.getClassName(), e.getMethodName(), e.getFileName(), e.getLineNumber());
    }

    /** The first frame outside core: where a filter called in, for one-line reports. */
    static String where() {
        List<StackTraceElement> site = callSite();
        return site.isEmpty() ? "an unknown call site" : site.getFirst().toString();
    }

    UnloadReport.Entry toEntry(long now) {
        return new UnloadReport.Entry(kind, instance, volume, detail, Duration.ofNanos(now - since), thread, site);
    }
}
