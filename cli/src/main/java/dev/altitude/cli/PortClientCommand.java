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
}
