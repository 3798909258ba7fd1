package dev.altitude.cli;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code altitude fltmc}: the admin commands of a running {@code altitude mount}, over its control socket. */
@Command(name = "fltmc", mixinStandardHelpOptions = true,
        description = "Admin commands for a running altitude daemon, as Windows' fltmc.",
        subcommands = {FltmcCommand.Filters.class, FltmcCommand.Instances.class, FltmcCommand.Volumes.class,
                FltmcCommand.Load.class, FltmcCommand.Unload.class, FltmcCommand.Attach.class, FltmcCommand.Detach.class,
                FltmcCommand.Explain.class, FltmcCommand.TraceCommand.class})
final class FltmcCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    static Path defaultRunDir() {
        return Path.of(System.getenv().getOrDefault("ALTITUDE_RUN_DIR", "/run/altitude"));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is needed (try: altitude fltmc --help)");
    }

    /** A bad altitude is misuse, said before anything reaches the daemon. */
    static void checkAltitude(String altitude) {
        try {
            dev.altitude.core.Altitude.of(altitude);
        } catch (dev.altitude.core.NtStatusException e) {
            throw new IllegalArgumentException("bad altitude: " + e.detail());
        }
    }

    /** Sends one request to the daemon at {@code runDir} and prints its answer's lines as they come; the exit code. */
    static int send(Path runDir, boolean json, List<String> request) {
        Path socket = runDir.resolve(ControlProtocol.SOCKET);
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            String server = ControlProtocol.peer(ch);
            if (!ControlProtocol.trusted(server)) { // someone else's socket, not the daemon's
                System.err.println("altitude fltmc: the control socket " + socket + " is served by user " + server
                        + ", not by root or " + System.getProperty("user.name") + ": refusing to talk to it");
                return 1;
            }
            ControlProtocol.writeRequest(ch, new ControlProtocol.Request(json, request));
            return ControlProtocol.readResponse(ch, l -> {
                java.io.PrintStream to = l.error() ? System.err : System.out;
                to.println(l.text());
                to.flush();
            });
        } catch (IOException e) {
            System.err.println("altitude fltmc: cannot reach the daemon at " + socket + ": "
                    + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        }
    }

    /**
     * The fast path of {@code altitude fltmc ...} (no picocli, whose start-up is most of a cold command's time): a
     * command line of a known form goes to the daemon as it is; null for anything else (help, a misuse, an option
     * it does not know), which the full parser then handles with its messages.
     */
    static Integer fast(String[] args) {
        if (args.length < 2 || !args[0].equals("fltmc")) {
            return null;
        }
        Path runDir = defaultRunDir();
        boolean json = false;
        List<String> request = new ArrayList<>(List.of(args[1]));
        List<String> positional = new ArrayList<>();
        Set<String> flags = switch (args[1]) {
            case "unload" -> Set.of("--mandatory");
            case "filters", "instances" -> Set.of("--stats");
            default -> Set.of();
        };
        Set<String> valued = switch (args[1]) {
            case "unload" -> Set.of("--timeout");
            case "attach" -> Set.of("-i", "-a");
            case "trace" -> Set.of("--major");
            default -> Set.of();
        };
        List<String> options = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--run-dir") && i + 1 < args.length) {
                runDir = Path.of(args[++i]);
            } else if (a.startsWith("--run-dir=")) {
                runDir = Path.of(a.substring("--run-dir=".length()));
            } else if (a.equals("--json")) {
                json = true;
            } else if (flags.contains(a)) {
                options.add(a);
            } else if (valued.contains(a) && i + 1 < args.length && !args[i + 1].startsWith("-")) {
                options.add(a);
                options.add(args[++i]);
            } else if (a.startsWith("-") || a.isEmpty()) {
                return null; // help, or an option of the full parser's: it says what is wrong
            } else {
                positional.add(a);
            }
        }
        int[] arity = switch (args[1]) {
            case "filters", "instances", "volumes" -> new int[] {0, 0};
            case "load", "unload", "explain" -> new int[] {1, 1};
            case "attach" -> new int[] {2, 2};
            case "detach" -> new int[] {2, 3};
            case "trace" -> new int[] {0, 1};
            default -> null;
        };
        if (arity == null || positional.size() < arity[0] || positional.size() > arity[1]) {
            return null;
        }
        try { // what the full parser checks before it sends: it reports what is wrong
            if (args[1].equals("load")) {
                dev.altitude.core.DriverConfig c = dev.altitude.core.DriverConfig.parse(positional.getFirst());
                if (c.altitude() != null) {
                    checkAltitude(c.altitude());
                }
            }
            int a = options.indexOf("-a");
            if (a >= 0) {
                checkAltitude(options.get(a + 1));
            }
            int t = options.indexOf("--timeout");
            if (t >= 0) {
                Fltmc.parseDuration(options.get(t + 1));
            }
        } catch (IllegalArgumentException | CommandLine.ParameterException e) {
            return null;
        }
        request.addAll(positional);
        request.addAll(options);
        return send(runDir, json, request);
    }

    /** What every subcommand shares: where the daemon is, and JSON output. */
    abstract static class Sub implements Callable<Integer> {
        @Option(names = "--run-dir", paramLabel = "DIR",
                description = "the daemon's run directory (default: $ALTITUDE_RUN_DIR or /run/altitude)")
        Path runDir = defaultRunDir();

        @Option(names = "--json", description = "one JSON object per line")
        boolean json;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        abstract List<String> request();

        @Override
        public Integer call() {
            List<String> request;
            try {
                request = request();
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            return send(runDir, json, request);
        }
    }

    @Command(name = "filters", mixinStandardHelpOptions = true, description = "List the loaded filters.")
    static final class Filters extends Sub {
        @Option(names = "--stats", description = "operations, failures, callback latency, what is held now (a daemon started with --stats)")
        boolean stats;

        @Override
        List<String> request() {
            return stats ? List.of("filters", "--stats") : List.of("filters");
        }
    }

    @Command(name = "instances", mixinStandardHelpOptions = true, description = "List the instances.")
    static final class Instances extends Sub {
        @Option(names = "--stats", description = "operations, failures, callback latency, what is held now (a daemon started with --stats)")
        boolean stats;

        @Override
        List<String> request() {
            return stats ? List.of("instances", "--stats") : List.of("instances");
        }
    }

    @Command(name = "volumes", mixinStandardHelpOptions = true, description = "List the volumes.")
    static final class Volumes extends Sub {
        @Override
        List<String> request() {
            return List.of("volumes");
        }
    }

    @Command(name = "load", mixinStandardHelpOptions = true, description = "Load a filter (by name, or from a filter jar).")
    static final class Load extends Sub {
        @Parameters(paramLabel = "NAME[@ALTITUDE][:KEY=VALUE]...")
        String name;

        @Override
        List<String> request() {
            dev.altitude.core.DriverConfig c = dev.altitude.core.DriverConfig.parse(name);
            if (c.altitude() != null) {
                checkAltitude(c.altitude());
            }
            return List.of("load", name);
        }
    }

    @Command(name = "unload", mixinStandardHelpOptions = true,
            description = "Unload a filter: optional (the filter may refuse) unless --mandatory.")
    static final class Unload extends Sub {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--mandatory", description = "a service stop: the filter cannot refuse")
        boolean mandatory;

        @Option(names = "--timeout", paramLabel = "D",
                description = "stop waiting after D (500ms, 2s, PT1M) and say what the unload waits for")
        String timeout;

        @Override
        List<String> request() {
            List<String> r = new ArrayList<>(List.of("unload", name));
            if (mandatory) {
                r.add("--mandatory");
            }
            if (timeout != null) {
                Fltmc.parseDuration(timeout);
                r.addAll(List.of("--timeout", timeout));
            }
            return r;
        }
    }

    @Command(name = "attach", mixinStandardHelpOptions = true, description = "Attach a filter to a volume.")
    static final class Attach extends Sub {
        @Parameters(index = "0", paramLabel = "FILTER")
        String filter;

        @Parameters(index = "1", paramLabel = "VOLUME")
        String volume;

        @Option(names = {"-i", "--instance"}, paramLabel = "INSTANCE")
        String instance;

        @Option(names = {"-a", "--altitude"}, paramLabel = "ALTITUDE")
        String altitude;

        @Override
        List<String> request() {
            List<String> r = new ArrayList<>(List.of("attach", filter, volume));
            if (instance != null) {
                r.addAll(List.of("-i", instance));
            }
            if (altitude != null) {
                checkAltitude(altitude);
                r.addAll(List.of("-a", altitude));
            }
            return r;
        }
    }

    @Command(name = "detach", mixinStandardHelpOptions = true, description = "Detach a filter's instance from a volume.")
    static final class Detach extends Sub {
        @Parameters(index = "0", paramLabel = "FILTER")
        String filter;

        @Parameters(index = "1", paramLabel = "VOLUME")
        String volume;

        @Parameters(index = "2", paramLabel = "INSTANCE", arity = "0..1")
        String instance;

        @Override
        List<String> request() {
            List<String> r = new ArrayList<>(List.of("detach", filter, volume));
            if (instance != null) {
                r.add(instance);
            }
            return r;
        }
    }

    @Command(name = "explain", mixinStandardHelpOptions = true,
            description = "Why won't it unload? What the filter holds and what an unload would wait for.")
    static final class Explain extends Sub {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        List<String> request() {
            return List.of("explain", name);
        }
    }

    @Command(name = "trace", mixinStandardHelpOptions = true,
            description = "Stream the daemon's events (every callback, slow callbacks, unload waits, loads, attaches, "
                    + "detaches, port messages, diagnostics, permission events answered at their bound) until Ctrl-C.")
    static final class TraceCommand extends Sub {
        @Parameters(paramLabel = "FILTER", arity = "0..1", description = "only this filter's events")
        String filter;

        @Option(names = "--major", paramLabel = "M", description = "only these major functions (repeatable)")
        List<String> majors = new java.util.ArrayList<>();

        @Override
        List<String> request() {
            List<String> r = new java.util.ArrayList<>(List.of("trace"));
            if (filter != null) {
                r.add(filter);
            }
            for (String m : majors) {
                r.add("--major");
                r.add(m);
            }
            return r;
        }
    }
}
