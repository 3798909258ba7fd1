package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.NtStatus;
import dev.altitude.core.UnloadMode;
import dev.altitude.test.AltitudeExtension;
import dev.altitude.test.AltitudeRig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The swapBuffers sample through a FUSE mount: programs see plaintext and its sizes, the source holds ciphertext. */
@Timeout(300)
@ExtendWith(AltitudeExtension.class)
class SwapBuffersMountTest extends MountingTest {
    static final String KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    @Test
    void catDdCpTruncateAppendSqliteAndAFioVerifyJobThroughTheMount(AltitudeRig rig) throws Exception {
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThat(rig.manager().loadFilter(DriverConfig.of("swapbuffers").withParameter("key", KEY))).isEqualTo(NtStatus.SUCCESS);
        try (FuseMount m = FuseMount.mount(rig.manager(), "kernel", source, mnt, 2)) {
            Bounded.Result r = Bounded.run(mnt, List.of("bash", "-euc", String.join("\n",
                    "printf 'attack at dawn\\n' > f; cat f; stat -c 'size %s' f",
                    "echo 'and again' >> f; cat f",
                    "dd if=/dev/urandom of=r bs=64k count=16 status=none; cp r r2; cmp r r2 && echo same-copy; cp r r0",
                    "dd if=/dev/zero of=r bs=1 count=10 seek=5000 conv=notrunc status=none",
                    "cmp -l r r2 | wc -l | awk '$1 <= 10 { print \"patched\" }'",
                    "truncate -s 7000 r2; stat -c 'truncated %s' r2; head -c 7000 r0 | cmp - r2 && echo prefix-same",
                    "truncate -s 9000 r2; stat -c 'extended %s' r2; tail -c 2000 r2 | tr -d '\\0' | wc -c",
                    "ls -l f | awk '{ print \"ls\", $5 }'",
                    "sqlite3 db 'create table t(a); insert into t values (1),(2),(3); select count(*) from t;'",
                    "fio --name=verify --filename=fio.dat --size=2m --bs=4k --rw=randwrite --ioengine=psync"
                            + " --verify=crc32c --do_verify=1 --output-format=terse --terse-version=3 >/dev/null && echo fio-verified")));
            assertThat(r.exit()).as(r.out()).isZero();
            assertThat(r.out()).contains("attack at dawn\nsize 15\n", "attack at dawn\nand again\n", "same-copy", "patched",
                    "truncated 7000", "prefix-same", "extended 9000\n0\n", "ls 25", "\n3\n", "fio-verified");
            assertThat(Files.size(source.resolve("f"))).as("the stored form: one block, 28 bytes longer").isEqualTo(25 + 28);
            assertThat(Files.readString(source.resolve("f"), StandardCharsets.ISO_8859_1)).doesNotContain("attack");
            assertThat(Files.size(source.resolve("r"))).isEqualTo(1024 * 1024 / 4096 * (4096 + 28));
            assertThat(rig.unload("swapbuffers", UnloadMode.OPTIONAL)).isEqualTo(NtStatus.SUCCESS);
        }
    }
}
