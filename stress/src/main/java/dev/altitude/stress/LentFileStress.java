package dev.altitude.stress;

import dev.altitude.core.LentFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * jcstress test of a lent file's descriptor: a read racing a close either reads the file or finds it closed, never a
 * descriptor number closed under it (EBADF, or worse, whatever file took the number next).
 */
public final class LentFileStress {
    private LentFileStress() {
    }

    private static final byte[] CONTENT = {42};

    @JCStressTest
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "the read came first and read the file's byte")
    @Outcome(id = "-1, 1", expect = Expect.ACCEPTABLE, desc = "the close came first: the read found it closed")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a read of a closed number, or a close that did not happen")
    @State
    public static class ReadVersusClose {
        final LentFile file = LentFile.snapshot(CONTENT);

        @Actor
        public void reader(II_Result r) {
            ByteBuffer b = ByteBuffer.allocate(1);
            try {
                int n = file.read(b, 0);
                r.r1 = n == 1 && b.get(0) == 42 ? 1 : -100 - n;
            } catch (ClosedChannelException e) {
                r.r1 = -1;
            } catch (IOException e) {
                r.r1 = -2; // EBADF: the number was closed under the read
            }
        }

        @Actor
        public void closer(II_Result r) {
            file.close();
            r.r2 = file.isOpen() ? 0 : 1;
        }
    }
}
