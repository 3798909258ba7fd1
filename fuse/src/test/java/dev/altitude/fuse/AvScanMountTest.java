package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.NtStatus;
import dev.altitude.core.UnloadMode;
import dev.altitude.samples.avscan.AvScanClient;
import dev.altitude.samples.avscan.AvScanMessages;
import dev.altitude.test.AltitudeExtension;
import dev.altitude.test.AltitudeRig;
import dev.altitude.test.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * avscan through a FUSE mount, its client a second JVM reading each file through the descriptor the filter lends it
 * (the source file, opened beneath the source): programs see an EICAR file's open refused, clean files work, and a
 * file that becomes infected through the mount is refused from then on.
 */
@Timeout(180)
@ExtendWith(AltitudeExtension.class)
class AvScanMountTest extends MountingTest {

    @Test
    void programsOnTheMountAreRefusedInfectedFilesAndTheEngineInAnotherProcessReadsEachFileItself(AltitudeRig rig) throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rwxrwxrwx"));
        byte[] eicar = AvScanMessages.eicar();
        Files.write(source.resolve("eicar.com"), eicar);
        byte[] big = new byte[3 << 20];
        Arrays.fill(big, (byte) 'b');
        System.arraycopy(eicar, 0, big, big.length - eicar.length, eicar.length);
        Files.write(source.resolve("big.bin"), big);
        Files.writeString(source.resolve("clean.txt"), "nothing here\n");
        Files.write(dir.resolve("signature"), eicar); // outside the mount, for the shell to write through it
        assertThat(rig.manager().loadFilter(DriverConfig.of("avscan"))).isEqualTo(NtStatus.SUCCESS);
        try (FuseMount m = FuseMount.mount(rig.manager(), "kernel", source, mnt, 2);
             ChildJvm client = ChildJvm.of(AvScanClient.class, rig.portDirectory().toString(), "2").start()) {
            client.awaitLine("avscan client connected");
            Bounded.Result r = Bounded.run(mnt, List.of("bash", "-uc", String.join("\n",
                    "cat clean.txt",
                    "cat eicar.com > /dev/null 2>&1 && echo eicar-opened || echo eicar-refused",
                    "cat big.bin > /dev/null 2>&1 && echo big-opened || echo big-refused",
                    "cp clean.txt copy.txt && cat copy.txt",
                    "cat ../signature >> copy.txt",
                    "cat copy.txt > /dev/null 2>&1 && echo copy-opened || echo copy-refused",
                    "cat eicar.com 2>&1 | head -1")));
            assertThat(r.out()).isEqualTo("nothing here\neicar-refused\nbig-refused\nnothing here\ncopy-refused\n"
                    + "cat: eicar.com: Permission denied\n");
            assertThat(source.resolve("copy.txt")).as("the data is there, the open is what is refused")
                    .hasSize(13 + eicar.length);
            client.awaitLine("scan open /big.bin: infected");
            client.awaitLine("scan open /copy.txt: infected");
            assertThat(rig.unload("avscan", UnloadMode.MANDATORY)).isEqualTo(NtStatus.SUCCESS);
            client.awaitLine(AvScanClient.DISCONNECTED);
            assertThat(client.awaitExit(Duration.ofSeconds(60))).isZero();
            Bounded.Result after = Bounded.run(mnt, List.of("bash", "-uc", "cat eicar.com | wc -c"));
            assertThat(after.out().strip()).as("no scanner after the unload").isEqualTo(String.valueOf(eicar.length));
        }
    }
}
