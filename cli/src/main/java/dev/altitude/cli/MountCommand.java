package dev.altitude.cli;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.FilterManager;
import dev.altitude.core.NtStatus;
import dev.altitude.core.UnloadMode;
import dev.altitude.fuse.FuseMount;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The daemon: a filter manager with a FUSE volume of SOURCE at MOUNTPOINT, the filters named, ports under
 * {@code <run-dir>/ports} and the control socket {@code <run-dir>/control.sock} for {@code altitude fltmc}.
 * It runs until SIGINT or SIGTERM: then every filter gets its mandatory unload, the mount goes, and the
 * manager closes.
 */
@Command(name = "mount", mixinStandardHelpOptions = true,
        description = {"The daemon: mount SOURCE at MOUNTPOINT through Altitude's filters (FUSE), and/or put the filters "
                + "on real, mounted file systems in place (--real, fanotify). Serves the admin commands (altitude fltmc) "
                + "until SIGINT or SIGTERM, which unload every filter and unmount. A FUSE volume is named after its "
                + "mount point, a real one after the path watched."},
        footer = {"", "Examples:", "  altitude mount /srv/data /mnt/data -f scanner      a filtered mirror of /srv/data at /mnt/data",
                "  altitude mount --real /data -f scanner             /data's own file system, in place",
                "  altitude mount --real-mount /home -f minispy       only the mount at /home"})
final class MountCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "SOURCE", description = "the directory whose files the mount shows")
    Path source;

    @Parameters(index = "1", arity = "0..1", paramLabel = "MOUNTPOINT", description = "an empty directory to mount on (made if missing)")
    Path mountPoint;

    @Option(names = "--real", paramLabel = "PATH",
            description = "filter the whole mounted file system holding PATH in place, through fanotify (repeatable)")
    List<Path> realFileSystems = new ArrayList<>();

    @Option(names = "--real-mount", paramLabel = "PATH",
            description = "filter only the mount at PATH in place, through fanotify (repeatable)")
    List<Path> realMounts = new ArrayList<>();

    @Option(names = "--stats", description = "keep live counters for fltmc filters/instances --stats (records every callback: about 0.2 µs each)")
    boolean stats;

    @Option(names = "--metrics", paramLabel = "HOST:PORT",
            description = "serve the counters at http://HOST:PORT/metrics for Prometheus (OpenTelemetry); implies --stats")
    String metrics;

    @Option(names = "--otlp", paramLabel = "URL",
            description = "send the counters every 10 s to an OpenTelemetry collector over OTLP/HTTP (http://collector:4318/v1/metrics); implies --stats")
    java.net.URI otlp;

    @Option(names = "--answer-within", paramLabel = "DURATION", defaultValue = "5s",
            description = "a real volume's bound for answering an open or read (default: ${DEFAULT-VALUE}; 500ms, 2s, PT1M)")
    String answerWithin;

    @Option(names = "--on-expiry", paramLabel = "allow|deny", defaultValue = "allow",
            description = "what a real volume answers for an event still undecided at the bound (default: ${DEFAULT-VALUE})")
    String onExpiry;

    @Option(names = "--also", paramLabel = "SOURCE=MOUNTPOINT",
            description = "one more volume of the same daemon: SOURCE mounted at MOUNTPOINT (repeatable)")
    List<String> more = new ArrayList<>();

    @Option(names = {"-f", "--filter"}, paramLabel = "NAME[@ALTITUDE][:KEY=VALUE]...", description = "a filter to load, with its parameters (repeatable)")
    List<String> filters = new ArrayList<>();

    @Option(names = "--filter-path", paramLabel = "DIR", description = "a directory of filter jars")
    Path filterPath;

    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "where the control socket and the ports live (default: $ALTITUDE_RUN_DIR or /run/altitude)")
    Path runDir = FltmcCommand.defaultRunDir();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private static List<Path> concat(List<Path> a, List<Path> b) {
        List<Path> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private dev.altitude.fuse.FanotifyVolume.Options realOptions() {
        java.time.Duration bound;
        try {
            bound = Fltmc.parseDuration(answerWithin);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--answer-within: " + e.getMessage());
        }
        dev.altitude.fuse.FanotifyVolume.OnExpiry expiry = switch (onExpiry) {
            case "allow" -> dev.altitude.fuse.FanotifyVolume.OnExpiry.ALLOW;
            case "deny" -> dev.altitude.fuse.FanotifyVolume.OnExpiry.DENY;
            default -> throw new CommandLine.ParameterException(spec.commandLine(), "--on-expiry wants allow or deny, not " + onExpiry);
        };
        return new dev.altitude.fuse.FanotifyVolume.Options(dev.altitude.fuse.FanotifyVolume.Scope.FILESYSTEM, bound, expiry);
    }

    @Override
    public Integer call() throws Exception {
        if (source == null && realFileSystems.isEmpty() && realMounts.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "nothing to filter: give SOURCE MOUNTPOINT, --real PATH or --real-mount PATH");
        }
        if (source != null && mountPoint == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "SOURCE " + source + " needs a MOUNTPOINT");
        }
        dev.altitude.fuse.FanotifyVolume.Options realOptions = realOptions();
        for (Path p : concat(realFileSystems, realMounts)) {
            if (!Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--real " + p + " is not a directory");
            }
        }
        if (source != null && !Files.isDirectory(source)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "SOURCE " + source + " is not a directory");
        }
        if (filterPath != null && !Files.isDirectory(filterPath)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--filter-path " + filterPath + " is not a directory");
        }
        if (mountPoint != null && Files.notExists(mountPoint, java.nio.file.LinkOption.NOFOLLOW_LINKS)) { // not when stale: that is undecidable
            try {
                Files.createDirectories(mountPoint);
            } catch (java.nio.file.FileSystemException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "MOUNTPOINT " + mountPoint + " cannot be made: "
                        + Main.describe(e));
            }
        }
        Path run = RunDirectory.prepare(runDir);
        RunDirectory.Lock lock = RunDirectory.lock(run); // held until the daemon exits; the kernel drops it if it dies
        FilterManager manager = FilterManager.builder().portDirectory(run.resolve(RunDirectory.PORTS)).build();
        FilterJars jars = new FilterJars(filterPath);
        Fltmc fltmc = new Fltmc(manager, jars);
        Stats counters = stats || metrics != null || otlp != null ? new Stats(manager) : null;
        fltmc.stats(counters);
        dev.altitude.metrics.MetricsEndpoint endpoint = null;
        if (metrics != null || otlp != null) {
            String host = null;
            int port = 0;
            if (metrics != null) {
                int colon = metrics.lastIndexOf(':');
                try {
                    port = Integer.parseInt(metrics.substring(colon + 1));
                } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                    port = -1;
                }
                if (colon <= 0 || port <= 0 || port > 65535) {
                    counters.close();
                    manager.close();
                    lock.close();
                    throw new CommandLine.ParameterException(spec.commandLine(), "--metrics wants HOST:PORT, not " + metrics);
                }
                host = metrics.substring(0, colon);
            }
            if (otlp != null && !("http".equals(otlp.getScheme()) || "https".equals(otlp.getScheme()))) {
                counters.close();
                manager.close();
                lock.close();
                throw new CommandLine.ParameterException(spec.commandLine(), "--otlp wants an http(s) URL, not " + otlp);
            }
            endpoint = dev.altitude.metrics.MetricsEndpoint.start(host, port, otlp, java.time.Duration.ofSeconds(10),
                    counters::samples);
        }
        dev.altitude.metrics.MetricsEndpoint served = endpoint;
        for (String f : filters) {
            DriverConfig c;
            try {
                c = DriverConfig.parse(f);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            jars.prepare(manager, c.name());
            NtStatus s = manager.loadFilter(c);
            if (s.isFailure()) {
                manager.close();
                lock.close();
                throw new IllegalStateException("load " + c.name() + ": " + s.toAdminString());
            }
        }
        List<FuseMount> mounts = new ArrayList<>();
        List<dev.altitude.fuse.FanotifyVolume> reals = new ArrayList<>();
        try {
            for (Path p : realFileSystems) {
                reals.add(dev.altitude.fuse.FanotifyVolume.watch(manager, p.toAbsolutePath().normalize().toString(), p,
                        realOptions));
            }
            for (Path p : realMounts) {
                reals.add(dev.altitude.fuse.FanotifyVolume.watch(manager, p.toAbsolutePath().normalize().toString(), p,
                        new dev.altitude.fuse.FanotifyVolume.Options(dev.altitude.fuse.FanotifyVolume.Scope.MOUNT,
                                realOptions.answerWithin(), realOptions.onExpiry())));
            }
            if (source != null) {
                mounts.add(FuseMount.mount(manager, mountPoint.toAbsolutePath().normalize().toString(), source, mountPoint));
            }
            for (String pair : more) {
                int eq = pair.indexOf('=');
                if (eq <= 0 || eq == pair.length() - 1) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--also wants SOURCE=MOUNTPOINT, not " + pair);
                }
                Path mp = Path.of(pair.substring(eq + 1));
                if (Files.notExists(mp, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(mp);
                }
                mounts.add(FuseMount.mount(manager, mp.toAbsolutePath().normalize().toString(), Path.of(pair.substring(0, eq)), mp));
            }
        } catch (java.io.IOException | RuntimeException e) {
            for (FuseMount m : mounts.reversed()) {
                m.close();
            }
            for (var r : reals.reversed()) {
                r.close();
            }
            manager.close();
            lock.close();
            throw e;
        }
        ControlServer control = ControlServer.start(run, fltmc);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                control.close();
                for (var f : manager.filters().stream().sorted(java.util.Comparator.comparingDouble(
                        (FilterManager.FilterInfo i) -> Double.parseDouble(i.altitude())).reversed()).toList()) { // highest first
                    manager.unloadFilter(f.name(), UnloadMode.MANDATORY);
                }
                for (FuseMount m : mounts.reversed()) {
                    m.close();
                }
                for (var r : reals.reversed()) {
                    r.close(); // every event still pending is answered, then the groups close
                }
                if (served != null) {
                    served.close();
                }
                if (counters != null) {
                    counters.close();
                }
                manager.close();
                lock.close();
                System.out.println("altitude: unmounted " + mounts.stream().map(FuseMount::mountPoint).toList());
                System.out.flush();
            } catch (Exception e) {
                System.err.println("altitude: stopping: " + e);
            } finally {
                stopped.countDown();
            }
        }, "altitude-stop"));
        System.out.println("altitude: mounted " + mounts.stream().map(m -> m.source() + " at " + m.mountPoint()).toList()
                + (reals.isEmpty() ? "" : "; real " + reals.stream().map(r -> r.volume().name() + " ("
                + r.volume().fileSystemType() + ")").toList())
                + "; filters " + manager.filters().stream().map(f -> f.name() + "@" + f.altitude()).toList()
                + "; control " + control.socket());
        System.out.flush();
        stopped.await(); // until a signal runs the hook
        return 0;
    }
}
