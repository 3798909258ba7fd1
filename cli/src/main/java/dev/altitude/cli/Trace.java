package dev.altitude.cli;

import dev.altitude.core.MajorFunction;
import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import jdk.jfr.ValueDescriptor;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;

/**
 * {@code fltmc trace [FILTER] [--major M]...}: the daemon's own JFR events, streamed (JFR event streaming) as lines
 * or JSON until the client closes the connection: every callback (threshold 0 while the trace runs), slow callbacks,
 * unload waits, the life cycle, port messages, diagnostics, permission events answered at their bound.
 */
final class Trace {
    static final List<String> EVENTS = List.of("dev.altitude.Callback", "dev.altitude.SlowCallback", "dev.altitude.UnloadWait",
            "dev.altitude.Lifecycle", "dev.altitude.PortMessage", "dev.altitude.Diagnostic", "dev.altitude.PermissionExpired");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());
    private static final Set<String> NOT_SHOWN = Set.of("startTime", "duration", "eventThread", "stackTrace");

    private Trace() {
    }

    static int run(List<ControlProtocol.Line> out, List<String> args, boolean json, Runnable untilClosed) {
        String filter = null;
        Set<String> majors = new HashSet<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--major")) {
                if (i + 1 == args.size()) {
                    throw new IllegalArgumentException("trace: --major wants a major function (CREATE, READ, WRITE, ...)");
                }
                String m = args.get(++i).toUpperCase(java.util.Locale.ROOT);
                try {
                    MajorFunction.valueOf(m);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("trace: no major function " + args.get(i));
                }
                majors.add(m);
            } else if (a.startsWith("-")) {
                throw new IllegalArgumentException("trace: unknown option " + a);
            } else if (filter == null) {
                filter = a;
            } else {
                throw new IllegalArgumentException("trace: one filter at most, not " + filter + " and " + a);
            }
        }
        String onlyFilter = filter;
        try (RecordingStream rs = new RecordingStream()) {
            for (String e : EVENTS) {
                if (!e.equals("dev.altitude.SlowCallback")) { // at its own threshold: only the slow ones, with their stacks
                    rs.enable(e).withThreshold(Duration.ZERO);
                } else {
                    rs.enable(e).withStackTrace();
                }
            }
            rs.setMaxAge(Duration.ofSeconds(10));
            rs.onEvent(e -> {
                if (!EVENTS.contains(e.getEventType().getName()) || !matches(e, onlyFilter, majors)) {
                    return;
                }
                try {
                    out.add(new ControlProtocol.Line(false, json ? json(e) : text(e)));
                } catch (java.io.UncheckedIOException gone) {
                    rs.close(); // the client went away
                }
            });
            rs.startAsync();
            out.add(new ControlProtocol.Line(true, "tracing " + (onlyFilter == null ? "every filter" : onlyFilter)
                    + (majors.isEmpty() ? "" : ", " + majors) + " (Ctrl-C ends it)"));
            untilClosed.run();
        }
        return 0;
    }

    private static boolean matches(RecordedEvent e, String filter, Set<String> majors) {
        if (filter != null && e.hasField("filter") && !filter.equals(e.getString("filter"))) {
            return false;
        }
        return majors.isEmpty() || !e.hasField("major") || majors.contains(e.getString("major"));
    }

    private static List<ValueDescriptor> shown(RecordedEvent e) {
        List<ValueDescriptor> l = new ArrayList<>();
        for (ValueDescriptor v : e.getFields()) {
            if (!NOT_SHOWN.contains(v.getName())) {
                l.add(v);
            }
        }
        return l;
    }

    /** {@code 12:00:01.234 Callback filter=scanner ... (12 µs)}. */
    static String text(RecordedEvent e) {
        StringBuilder b = new StringBuilder(TIME.format(e.getStartTime())).append(' ')
                .append(e.getEventType().getName().substring("dev.altitude.".length()));
        for (ValueDescriptor v : shown(e)) {
            Object value = e.getValue(v.getName());
            if (value != null) {
                String s = value.toString().strip();
                b.append(' ').append(v.getName()).append('=').append(s.contains(" ") || s.contains("\n")
                        ? "'" + s.replace("\n", "; ") + "'" : s);
            }
        }
        long micros = e.getDuration().toNanos() / 1000;
        if (micros > 0) {
            b.append(" (").append(micros).append(" µs)");
        }
        return b.toString();
    }

    static String json(RecordedEvent e) {
        StringBuilder b = new StringBuilder("{\"event\":").append(Fltmc.json(e.getEventType().getName()))
                .append(",\"time\":").append(Fltmc.json(e.getStartTime().toString()))
                .append(",\"durationNanos\":").append(e.getDuration().toNanos());
        for (ValueDescriptor v : shown(e)) {
            Object value = e.getValue(v.getName());
            b.append(',').append(Fltmc.json(v.getName())).append(':');
            if (value == null) {
                b.append("null");
            } else if (value instanceof Number || value instanceof Boolean) {
                b.append(value);
            } else {
                b.append(Fltmc.json(value.toString()));
            }
        }
        return b.append('}').toString();
    }
}
