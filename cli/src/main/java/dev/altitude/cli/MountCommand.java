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
        description = {"The daemon: mount SOURCE at MOUNTPOINT through Altitude's filters (FUSE).",
                "Serves the admin commands (altitude fltmc) until SIGINT or SIGTERM, which unload every filter and",
                "unmount. The volume is named after the mount point."})
final class MountCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SOURCE", description = "the directory whose files the mount shows")
    Path source;

    @Parameters(index = "1", paramLabel = "MOUNTPOINT", description = "an empty directory to mount on (made if missing)")
    Path mountPoint;

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

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(source)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "SOURCE " + source + " is not a directory");
        }
        if (filterPath != null && !Files.isDirectory(filterPath)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--filter-path " + filterPath + " is not a directory");
        }
        if (Files.notExists(mountPoint, java.nio.file.LinkOption.NOFOLLOW_LINKS)) { // not when stale: that is undecidable
            try {
                Files.createDirectories(mountPoint);
            } catch (java.nio.file.FileSystemException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "MOUNTPOINT " + mountPoint + " cannot be made: "
                        + Main.describe(e));
            }
        }
        String volume = mountPoint.toAbsolutePath().normalize().toString();
        Path run = RunDirectory.prepare(runDir);
        RunDirectory.Lock lock = RunDirectory.lock(run); // held until the daemon exits; the kernel drops it if it dies
        FilterManager manager = FilterManager.builder().portDirectory(run.resolve(RunDirectory.PORTS)).build();
        FilterJars jars = new FilterJars(filterPath);
        Fltmc fltmc = new Fltmc(manager, jars);
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
        try {
            mounts.add(FuseMount.mount(manager, volume, source, mountPoint));
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
                + "; filters " + manager.filters().stream().map(f -> f.name() + "@" + f.altitude()).toList()
                + "; control " + control.socket());
        System.out.flush();
        stopped.await(); // until a signal runs the hook
        return 0;
    }
}
