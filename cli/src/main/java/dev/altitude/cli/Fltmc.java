package dev.altitude.cli;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.FilterManager;
import dev.altitude.core.Instance;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import dev.altitude.core.UnloadMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The admin commands, run in the daemon on a request from {@code altitude fltmc}: listings like Windows'
 * {@code fltmc} (or JSON), load, unload, attach, detach, explain. A failure is one line naming the status in
 * the form {@code fltmc} prints ({@code STATUS_FLT_DO_NOT_DETACH (0x801F0010)}) and exit code 1; an unknown
 * command or bad arguments, exit code 2 (the client has checked them already).
 */
final class Fltmc {
    private final FilterManager manager;
    private final FilterJars jars;

    /** The daemon's counters, or null when it runs without {@code --stats}. */
    private volatile Stats stats;

    Fltmc(FilterManager manager, FilterJars jars) {
        this.manager = manager;
        this.jars = jars;
    }

    void stats(Stats stats) {
        this.stats = stats;
    }

    ControlProtocol.Response execute(ControlProtocol.Request request) {
        List<ControlProtocol.Line> out = new ArrayList<>();
        int exit = execute(request, out);
        return ControlProtocol.Response.of(exit, out);
    }

    /** Runs a request, adding its answer's lines to {@code out} as they come (streamed by the server); the exit code. */
    int execute(ControlProtocol.Request request, List<ControlProtocol.Line> out) {
        List<String> a = request.args();
        try {
            int exit = switch (a.isEmpty() ? "" : a.getFirst()) {
                case "filters" -> a.contains("--stats") ? stats(out, request.json(), false) : filters(out, request.json());
                case "instances" -> a.contains("--stats") ? stats(out, request.json(), true) : instances(out, request.json());
                case "volumes" -> volumes(out, request.json());
                case "load" -> load(out, arg(a, 1));
                case "unload" -> unload(out, arg(a, 1), a.contains("--mandatory"), option(a, "--timeout"));
                case "attach" -> attach(out, arg(a, 1), arg(a, 2), option(a, "-i"), option(a, "-a"));
                case "detach" -> detach(out, arg(a, 1), arg(a, 2), a.size() > 3 ? a.get(3) : null);
                case "explain" -> explain(out, arg(a, 1));
                case "trace" -> Trace.run(out, a.subList(1, a.size()), request.json(), out instanceof ControlProtocol.Streaming st
                        ? st::awaitClosed : () -> { });
                default -> {
                    out.add(err("unknown command " + a));
                    yield 2;
                }
            };
            return exit;
        } catch (NtStatusException e) {
            out.add(err(e.status().toAdminString() + ": " + e.detail()));
            return 1;
        } catch (IllegalArgumentException e) {
            out.add(err(e.getMessage()));
            return 2;
        }
    }

    private static String arg(List<String> a, int i) {
        if (a.size() <= i || a.get(i).startsWith("-")) {
            throw new IllegalArgumentException(a.getFirst() + ": argument " + i + " is missing");
        }
        return a.get(i);
    }

    private static String option(List<String> a, String name) {
        int i = a.indexOf(name);
        return i >= 0 && i + 1 < a.size() ? a.get(i + 1) : null;
    }

    private static ControlProtocol.Line out(String text) {
        return new ControlProtocol.Line(false, text);
    }

    private static ControlProtocol.Line err(String text) {
        return new ControlProtocol.Line(true, text);
    }

    static String json(String s) {
        return dev.altitude.samples.minispy.MiniSpyMessages.quote(s);
    }

    private int filters(List<ControlProtocol.Line> out, boolean json) {
        var rows = manager.filters();
        if (json) {
            for (var f : rows) {
                out.add(out("{\"filter\":" + json(f.name()) + ",\"instances\":" + f.instances() + ",\"altitude\":"
                        + json(f.altitude()) + ",\"frame\":" + f.frame() + ",\"state\":\"" + f.state() + "\",\"callbackFailures\":"
                        + f.callbackFailures() + "}"));
            }
            return 0;
        }
        out.add(out(String.format("%-30s  %13s  %12s  %5s", "Filter Name", "Num Instances", "Altitude", "Frame")));
        out.add(out("------------------------------  -------------  ------------  -----"));
        for (var f : rows) {
            out.add(out(String.format("%-30s  %13d  %12s  %5d", f.name(), f.instances(), f.altitude(), f.frame())));
        }
        return 0;
    }

    /** {@code fltmc filters --stats} and {@code fltmc instances --stats}. */
    private int stats(List<ControlProtocol.Line> out, boolean json, boolean perInstance) {
        Stats s = stats;
        if (s == null) {
            out.add(err("no statistics: the daemon runs without --stats (altitude mount ... --stats)"));
            return 1;
        }
        List<Stats.Row> rows = perInstance ? s.instances() : s.filters();
        if (json) {
            for (Stats.Row r : rows) {
                out.add(out("{\"filter\":" + json(r.filter()) + (perInstance ? ",\"instance\":" + json(r.instance()) : "")
                        + ",\"operations\":" + r.operations() + ",\"byMajor\":" + jsonCounts(r.byMajor())
                        + ",\"failures\":" + r.failures() + ",\"nonSuccess\":" + jsonCounts(r.nonSuccess())
                        + ",\"callbacks\":" + r.callbacks() + ",\"latencyMicros\":{\"p50\":" + r.p50Micros() + ",\"p99\":"
                        + r.p99Micros() + ",\"max\":" + r.maxMicros() + "},\"pended\":" + r.pended() + ",\"owedPosts\":"
                        + r.owedPosts() + ",\"contextReferences\":" + r.contextReferences()
                        + (perInstance ? "" : ",\"portMessages\":" + r.portMessages() + ",\"portWaitP99Micros\":" + r.portWaitP99Micros())
                        + "}"));
            }
            return 0;
        }
        out.add(out(String.format("%-20s  %-24s  %10s  %8s  %9s  %9s  %9s  %6s  %5s  %8s  %8s", "Filter",
                perInstance ? "Instance" : "", "Operations", "Failures", "p50 (µs)", "p99 (µs)", "max (µs)", "Pended",
                "Owed", "Contexts", perInstance ? "" : "Messages").stripTrailing()));
        for (Stats.Row r : rows) {
            out.add(out(String.format("%-20s  %-24s  %10d  %8d  %9.1f  %9.1f  %9.1f  %6d  %5d  %8d  %8s", r.filter(),
                    perInstance ? r.instance() : "", r.operations(), r.failures(), r.p50Micros(), r.p99Micros(), r.maxMicros(),
                    r.pended(), r.owedPosts(), r.contextReferences(), perInstance ? "" : Long.toString(r.portMessages()))
                    .stripTrailing()));
            if (!r.byMajor().isEmpty()) {
                out.add(out("    by major function: " + counts(r.byMajor())));
            }
            if (!r.nonSuccess().isEmpty()) {
                out.add(out("    statuses other than success: " + counts(r.nonSuccess())));
            }
        }
        out.add(out("(latency: each callback, over the last " + Stats.WINDOW.toSeconds() + " to " + 2 * Stats.WINDOW.toSeconds()
                + " s; operations and statuses since the daemon started)"));
        return 0;
    }

    private static String counts(java.util.Map<String, Long> m) {
        return String.join(", ", m.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).toList());
    }

    private static String jsonCounts(java.util.Map<String, Long> m) {
        return "{" + String.join(",", m.entrySet().stream().map(e -> json(e.getKey()) + ":" + e.getValue()).toList()) + "}";
    }

    private int instances(List<ControlProtocol.Line> out, boolean json) {
        var rows = manager.instances();
        if (json) {
            for (var i : rows) {
                out.add(out("{\"filter\":" + json(i.filter()) + ",\"volume\":" + json(i.volume()) + ",\"altitude\":"
                        + json(i.altitude()) + ",\"instance\":" + json(i.instance()) + ",\"frame\":" + i.frame() + "}"));
            }
            return 0;
        }
        out.add(out(String.format("%-20s  %-30s  %-12s  %-30s  %5s", "Filter", "Volume Name", "Altitude", "Instance Name", "Frame")));
        out.add(out("--------------------  ------------------------------  ------------  ------------------------------  -----"));
        for (var i : rows) {
            out.add(out(String.format("%-20s  %-30s  %-12s  %-30s  %5d", i.filter(), i.volume(), i.altitude(), i.instance(),
                    i.frame())));
        }
        return 0;
    }

    private int volumes(List<ControlProtocol.Line> out, boolean json) {
        var rows = manager.volumes();
        if (json) {
            for (var v : rows) {
                out.add(out("{\"volume\":" + json(v.name()) + ",\"fileSystemType\":" + json(v.fileSystemType())
                        + ",\"instances\":" + v.instances() + ",\"openPastFilters\":["
                        + String.join(",", v.openPastFilters().stream().map(Fltmc::json).toList()) + "],\"notes\":["
                        + String.join(",", v.notes().stream().map(Fltmc::json).toList()) + "]}"));
            }
            return 0;
        }
        out.add(out(String.format("%-30s  %-15s  %9s  %s", "Volume Name", "FileSystem Type", "Instances", "Open past filters")));
        out.add(out("------------------------------  ---------------  ---------  -----------------"));
        for (var v : rows) {
            out.add(out(String.format("%-30s  %-15s  %9d  %d", v.name(), v.fileSystemType(), v.instances(),
                    v.openPastFilters().size())));
            for (String f : v.openPastFilters()) {
                out.add(out("    " + f));
            }
            for (String n : v.notes()) {
                out.add(out("    " + n));
            }
        }
        return 0;
    }

    private int status(List<ControlProtocol.Line> out, String what, NtStatus s) {
        if (s.isFailure()) {
            out.add(err(what + ": " + s.toAdminString()));
            return 1;
        }
        return 0;
    }

    private int load(List<ControlProtocol.Line> out, String nameAtAltitude) {
        DriverConfig config = DriverConfig.parse(nameAtAltitude);
        jars.prepare(manager, config.name());
        int r = status(out, "load " + config.name(), manager.loadFilter(config));
        if (r != 0) {
            jars.forget(manager, config.name());
        }
        return r;
    }

    private int unload(List<ControlProtocol.Line> out, String name, boolean mandatory, String timeout) {
        UnloadMode mode = mandatory ? UnloadMode.MANDATORY : UnloadMode.OPTIONAL;
        NtStatus s;
        if (timeout == null) {
            s = unloadSayingWhatItWaitsFor(out, name, mode);
        } else {
            FilterManager.UnloadOutcome o = manager.unloadFilter(name, mode, parseDuration(timeout));
            if (o.status().equals(NtStatus.TIMEOUT)) {
                o.completion().thenAccept(later -> { // the filter jar's class loader goes when the unload ends
                    if (later.isSuccess()) {
                        jars.forget(manager, name);
                    }
                });
                out.add(err("unload " + name + ": " + o.status().toAdminString() + " after " + timeout
                        + "; the unload goes on, waiting for:"));
                out.add(err(o.report().toText()));
                return 1;
            }
            s = o.status();
        }
        int r = status(out, "unload " + name, s);
        if (r == 0) {
            jars.forget(manager, name);
        }
        return r;
    }

    /**
     * An unbounded unload that says, every second it waits, what it waits for (the holders by kind, each kind's
     * count and oldest age), and when it finished.
     */
    private NtStatus unloadSayingWhatItWaitsFor(List<ControlProtocol.Line> out, String name, UnloadMode mode) {
        java.util.concurrent.CompletableFuture<NtStatus> done = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> manager.unloadFilter(name, mode), r -> Thread.ofPlatform().name("altitude-unload " + name).daemon().start(r));
        long start = System.nanoTime();
        while (true) {
            try {
                NtStatus s = done.get(1, java.util.concurrent.TimeUnit.SECONDS);
                long waited = (System.nanoTime() - start) / 1_000_000;
                if (waited >= 1000) {
                    out.add(out("unload " + name + ": finished after " + String.format("%.1f s", waited / 1000.0)
                            + ", " + s.toAdminString()));
                }
                return s;
            } catch (java.util.concurrent.TimeoutException e) {
                out.add(out("unload " + name + ": waiting " + (System.nanoTime() - start) / 1_000_000_000 + " s for "
                        + manager.explain(name).map(Fltmc::holdersByKind).orElse("nothing (it is gone)")));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return done.join();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
    }

    /** {@code 2 OWED_POST_OPERATION (oldest 3.2 s), 1 CLIENT_PORT (oldest 10.0 s); in <phase>}. */
    static String holdersByKind(dev.altitude.core.UnloadReport r) {
        java.util.Map<dev.altitude.core.HolderKind, java.util.List<dev.altitude.core.UnloadReport.Entry>> by =
                new java.util.EnumMap<>(dev.altitude.core.HolderKind.class);
        for (var e : r.holders()) {
            by.computeIfAbsent(e.kind(), k -> new ArrayList<>()).add(e);
        }
        if (by.isEmpty()) {
            return "nothing held" + (r.phase() == null ? "" : " (" + r.phase() + ")");
        }
        List<String> parts = new ArrayList<>();
        by.forEach((k, list) -> {
            long oldest = list.stream().mapToLong(e -> e.age().toMillis()).max().orElse(0);
            // a running pre-operation's age is not kept (it would be a store on every operation's way down)
            parts.add(list.size() + " " + k + (oldest == 0 ? "" : " (oldest " + String.format("%.1f s", oldest / 1000.0) + ")"));
        });
        return String.join(", ", parts) + (r.phase() == null ? "" : "; in " + r.phase());
    }

    /** A positive duration: {@code 500ms}, {@code 2s}, {@code PT1M}; anything else is misuse. */
    static Duration parseDuration(String s) {
        Duration d;
        try {
            if (s.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            } else if (s.endsWith("s")) {
                double seconds = Double.parseDouble(s.substring(0, s.length() - 1));
                if (!Double.isFinite(seconds)) {
                    throw new NumberFormatException();
                }
                d = Duration.ofMillis((long) (seconds * 1000));
            } else {
                d = Duration.parse(s);
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("bad duration '" + s + "' (for example 500ms, 2s, PT1M)");
        }
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("bad duration '" + s + "': a timeout must be more than zero");
        }
        return d;
    }

    private int attach(List<ControlProtocol.Line> out, String filter, String volume, String instance, String altitude) {
        Instance i = manager.attach(filter, volume, instance, altitude);
        out.add(out("attached " + i.name() + " of " + filter + " to " + volume + " at " + i.altitude()));
        if (i.attachStatus().isWarning()) {
            out.add(out(i.attachStatus().toAdminString() + ": this volume cannot present the pre-operations "
                    + i.undeliveredPreOperations() + " of " + filter + "; they will not be called there"));
        }
        return 0;
    }

    private int detach(List<ControlProtocol.Line> out, String filter, String volume, String instance) {
        return status(out, "detach " + filter + " from " + volume, manager.detach(filter, volume, instance));
    }

    private int explain(List<ControlProtocol.Line> out, String name) {
        Optional<dev.altitude.core.UnloadReport> r = manager.explain(name);
        if (r.isEmpty()) {
            out.add(err("explain " + name + ": " + NtStatus.FLT_FILTER_NOT_FOUND.toAdminString()));
            return 1;
        }
        out.add(out(r.get().toText()));
        return 0;
    }
}
