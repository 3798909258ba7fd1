package dev.altitude.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;

/** A command that is a filter's user-mode client: where the ports are, and how it reports misuse (exit code 2). */
abstract class PortClientCommand implements Callable<Integer> {
    @Mixin
    PortOptions port;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    CommandLine.ParameterException misuse(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /**
     * The fast path of {@code altitude scanuser|avscanuser|minispy ...} (no picocli): a command line of the usual form, whose
     * values are all well formed, runs at once; null for anything else (help, a misuse), which the full parser
     * handles with its messages. A failure at run time is one line and exit code 1, as there.
     */
    static Integer fast(String[] args) {
        if (args.length == 0) {
            return null;
        }
        PortClientCommand c = switch (args[0]) {
            case "scanuser" -> new ScanUserCommand();
            case "avscanuser" -> new AvScanUserCommand();
            case "minispy" -> new MiniSpyCommand();
            default -> null;
        };
        if (c == null) {
            return null;
        }
        c.port = new PortOptions();
        try {
            for (int i = 1; i < args.length; i++) {
                String a = args[i];
                String v = i + 1 < args.length ? args[i + 1] : null;
                if (!c.option(a, v)) {
                    return null;
                }
                if (takesValue(a)) {
                    i++;
                }
            }
            if (!c.valid()) {
                return null;
            }
        } catch (NumberFormatException e) {
            return null;
        }
        try {
            return c.call();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (Exception e) {
            System.err.println("altitude " + args[0] + ": " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            return 1;
        }
    }

    private static boolean takesValue(String option) {
        return java.util.Set.of("--port-dir", "-t", "--threads", "-a", "--attach", "-d", "--detach", "-i", "--instance",
                "--interval", "-n", "--count").contains(option);
    }

    /** Takes one option of the fast path ({@code value}: the next argument); false for one it does not know. */
    boolean option(String name, String value) {
        if (name.equals("--port-dir") && value != null && !value.startsWith("-")) {
            port.directory = java.nio.file.Path.of(value);
            return true;
        }
        return false;
    }

    /** Whether the values taken are all well formed (else the full parser says what is wrong). */
    boolean valid() {
        return true;
    }
}
