package dev.altitude.cli;

import dev.altitude.core.NtStatusException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code altitude} command. Misuse (an unknown command or option, a bad value) prints the problem and
 * the usage and exits with 2; a failure at run time prints one line ({@code altitude <command>: ...}, with
 * the {@link NtStatusException status name and code} where there is one) and exits with 1; never a stack trace.
 */
@Command(name = "altitude", mixinStandardHelpOptions = true, version = "altitude 0.1.0",
        description = "A file-system filter manager for Java, on the model of the Windows Filter Manager.",
        subcommands = {DemoCommand.class, MountCommand.class, FltmcCommand.class, ScanUserCommand.class, AvScanUserCommand.class, MiniSpyCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        if (args.length == 2 && args[0].equals("--aot-training")) { // the build's one run that makes the AOT cache
            String none = args[1];
            FltmcCommand.fast(new String[] {"fltmc", "filters", "--run-dir", none});
            PortClientCommand.fast(new String[] {"scanuser", "--port-dir", none});
            PortClientCommand.fast(new String[] {"minispy", "--port-dir", none, "--no-follow"});
            System.exit(0);
        }
        Integer fast = FltmcCommand.fast(args); // fltmc's and the clients' usual command lines: no parser to start
        if (fast == null) {
            fast = PortClientCommand.fast(args);
        }
        if (fast != null) {
            System.exit(fast);
        }
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line; returns the exit code. */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            String what = e instanceof java.nio.file.FileSystemException f ? describe(f)
                    : e instanceof NtStatusException || e.getMessage() != null ? e.getMessage() : e.toString();
            commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + what);
            return e instanceof RunDirectory.UnsafeException ? 2 : 1; // a run directory to fix before it can start
        });
        return cl.execute(args);
    }

    /** A file-system error in words: its path(s) and what went wrong ({@code AccessDeniedException} names only the path). */
    static String describe(java.nio.file.FileSystemException e) {
        String why = e.getReason() != null ? e.getReason() : switch (e) {
            case java.nio.file.AccessDeniedException x -> "permission denied";
            case java.nio.file.NoSuchFileException x -> "no such file or directory";
            case java.nio.file.FileAlreadyExistsException x -> "it exists already";
            case java.nio.file.NotDirectoryException x -> "not a directory";
            case java.nio.file.DirectoryNotEmptyException x -> "the directory is not empty";
            default -> e.getClass().getSimpleName();
        };
        return e.getFile() + (e.getOtherFile() == null ? "" : " -> " + e.getOtherFile()) + ": " + why;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed (try: altitude --help)");
    }
}
