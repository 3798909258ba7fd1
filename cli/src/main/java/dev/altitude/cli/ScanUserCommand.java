package dev.altitude.cli;

import dev.altitude.core.FilterClient;
import dev.altitude.samples.scanner.ScannerClient;
import dev.altitude.samples.scanner.ScannerMessages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "scanuser", mixinStandardHelpOptions = true,
        description = {"The scanner filter's client: answers its scan requests.",
                "Denies content with \"foul\"; runs until the scanner filter unloads."})
class ScanUserCommand extends PortClientCommand {
    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "scanning threads, 1 to 64 (default: ${DEFAULT-VALUE})")
    int threads = 2;

    @Override
    boolean option(String name, String value) {
        if ((name.equals("-t") || name.equals("--threads")) && value != null) {
            threads = Integer.parseInt(value);
            return true;
        }
        return super.option(name, value);
    }

    @Override
    boolean valid() {
        return threads >= 1 && threads <= 64;
    }

    @Override
    public final Integer call() throws InterruptedException {
        if (threads < 1 || threads > 64) {
            throw misuse("--threads must be 1 to 64, not " + threads);
        }
        serve();
        return 0;
    }

    /** Connects and serves with {@link #threads} threads until the filter unloads. */
    void serve() throws InterruptedException {
        try (FilterClient c = port.connect(ScannerMessages.PORT, ScannerClient.connectionContext(), "scanner")) {
            System.out.println("scanuser: connected to " + ScannerMessages.PORT + ", scanning with " + threads + " threads");
            System.out.flush();
            new ScannerClient(c, System.out).run(threads);
        }
    }
}
