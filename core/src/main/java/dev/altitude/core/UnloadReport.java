package dev.altitude.core;

import java.time.Duration;
import java.util.List;

/**
 * "Why won't it unload?": a filter's state and every rundown holder that an unload of it waits (or would
 * wait) for, oldest first. {@link #toText()} is what the log and {@code fltmc explain} print.
 */
public record UnloadReport(String filter, Filter.State state, String phase, Duration waiting, List<Entry> holders) {

    /** One holder: its kind, instance and volume (if any), what it is, its age, the thread, and where it was taken. */
    public record Entry(HolderKind kind, String instance, String volume, String detail, Duration age, String thread,
                        List<StackTraceElement> site) {
    }

    public UnloadReport {
        holders = List.copyOf(holders);
    }

    /** The holders of one kind. */
    public List<Entry> holders(HolderKind kind) {
        return holders.stream().filter(e -> e.kind() == kind).toList();
    }

    public String toText() {
        StringBuilder b = new StringBuilder();
        b.append("filter '").append(filter).append("' is ").append(state);
        if (phase != null) {
            b.append(", waiting ").append(fmt(waiting)).append(" in ").append(phase);
        }
        b.append('\n');
        if (holders.isEmpty()) {
            b.append("  nothing holds it\n");
        }
        for (Entry e : holders) {
            b.append("  ").append(e.kind());
            if (e.instance() != null) {
                b.append(" on instance '").append(e.instance()).append("' of ").append(e.volume());
            }
            b.append(": ").append(e.detail()).append(" (age ").append(fmt(e.age())).append(", thread ")
                    .append(e.thread()).append(")\n");
            int shown = 0;
            for (StackTraceElement s : e.site()) {
                if (shown++ == SITE_FRAMES_SHOWN || isFramework(s)) {
                    break;
                }
                b.append("      at ").append(s).append('\n');
            }
        }
        return b.toString();
    }

    private static String fmt(Duration d) {
        return d == null ? "-" : d.toMillis() >= 1000 ? String.format("%.1f s", d.toMillis() / 1000.0)
                : d.toMillis() + " ms";
    }

    @Override
    public String toString() {
        return toText();
    }

    /** The text shows the caller's frames only: at most this many, up to the first reflective or framework one. */
    private static final int SITE_FRAMES_SHOWN = 8;

    private static boolean isFramework(StackTraceElement s) {
        String c = s.getClassName();
        return c.startsWith("java.lang.reflect.") || c.startsWith("jdk.internal.") || c.startsWith("org.junit.");
    }
}
