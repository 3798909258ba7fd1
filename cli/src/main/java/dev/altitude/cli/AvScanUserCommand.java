package dev.altitude.cli;

import dev.altitude.core.FilterClient;
import dev.altitude.samples.avscan.AvScanClient;
import dev.altitude.samples.avscan.AvScanMessages;
import picocli.CommandLine.Command;

/** avscan's engine as a command: the scanuser's options, each file read through the descriptor the filter lends. */
@Command(name = "avscanuser", mixinStandardHelpOptions = true,
        description = {"The avscan filter's engine: reads each file it is lent and answers whether it is infected.",
                "Finds the EICAR test string; runs until the avscan filter unloads."})
final class AvScanUserCommand extends ScanUserCommand {
    @Override
    void serve() throws InterruptedException {
        try (FilterClient c = port.connect(AvScanMessages.PORT, new byte[0], "avscan")) {
            System.out.println("avscanuser: connected to " + AvScanMessages.PORT + ", scanning with " + threads + " threads");
            System.out.flush();
            new AvScanClient(c, System.out).run(threads);
        }
    }
}
