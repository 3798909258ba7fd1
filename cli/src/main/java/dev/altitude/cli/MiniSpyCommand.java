package dev.altitude.cli;

import dev.altitude.core.FilterClient;
import dev.altitude.samples.minispy.MiniSpyClient;
import dev.altitude.samples.minispy.MiniSpyMessages;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "minispy", mixinStandardHelpOptions = true,
        description = {"The minispy filter's client: attach, detach, list, and print its log.",
                "Prints the operations minispy logged, as a table or as JSON lines, until the filter unloads."})
final class MiniSpyCommand extends PortClientCommand {
    @Option(names = {"-a", "--attach"}, paramLabel = "VOLUME", description = "attach minispy to VOLUME first")
    String attach;

    @Option(names = {"-d", "--detach"}, paramLabel = "VOLUME", description = "detach minispy from VOLUME first")
    String detach;

    @Option(names = {"-i", "--instance"}, paramLabel = "NAME", description = "the instance name for --attach/--detach")
    String instance;

    @Option(names = {"-l", "--list"}, description = "list the volumes and minispy's instances")
    boolean list;

    @Option(names = "--json", description = "one JSON object per line instead of a table")
    boolean json;

    @Option(names = "--interval", paramLabel = "MILLIS", description = "how often to pull the log (default: ${DEFAULT-VALUE})")
    long intervalMillis = 200;

    @Option(names = {"-n", "--count"}, paramLabel = "N", description = "stop after N records (default: until unload)")
    long count = -1;

    @Option(names = "--no-follow", description = "do the commands, print what is logged now, and exit")
    boolean noFollow;

    @Override
    boolean option(String name, String value) {
        boolean flag = switch (name) {
            case "-l", "--list" -> list = true;
            case "--json" -> json = true;
            case "--no-follow" -> noFollow = true;
            default -> false;
        };
        if (flag) {
            return true;
        }
        if (value == null || value.startsWith("-")) {
            return super.option(name, value);
        }
        switch (name) {
            case "-a", "--attach" -> attach = value;
            case "-d", "--detach" -> detach = value;
            case "-i", "--instance" -> instance = value;
            case "--interval" -> intervalMillis = Long.parseLong(value);
            case "-n", "--count" -> count = Long.parseLong(value);
            default -> {
                return super.option(name, value);
            }
        }
        return true;
    }

    @Override
    boolean valid() {
        return intervalMillis >= 1 && count >= -1 && !(attach != null && detach != null);
    }

    @Override
    public Integer call() throws InterruptedException {
        if (intervalMillis < 1) {
            throw misuse("--interval must be at least 1 ms");
        }
        if (attach != null && detach != null) {
            throw misuse("--attach and --detach together");
        }
        try (FilterClient c = port.connect(MiniSpyMessages.PORT, new byte[0], "minispy")) {
            MiniSpyClient client = new MiniSpyClient(c, System.out, json);
            if (attach != null) {
                System.out.println(client.command(MiniSpyMessages.ATTACH, attach, instance));
            }
            if (detach != null) {
                System.out.println(client.command(MiniSpyMessages.DETACH, detach, instance));
            }
            if (list) {
                System.out.print(client.command(MiniSpyMessages.LIST));
            }
            System.out.flush();
            if (noFollow) {
                if (client.pull().isEmpty()) {
                    System.out.println(MiniSpyClient.UNLOADED);
                }
            } else {
                client.follow(Duration.ofMillis(intervalMillis), count);
            }
        }
        return 0;
    }
}
