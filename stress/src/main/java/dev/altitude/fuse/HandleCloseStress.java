package dev.altitude.fuse;

import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * jcstress test of {@link PosixBackend.Handle} (in the backend's package, to reach it): an operation racing the
 * handle's close. The descriptor is closed exactly once, and never while the operation that entered still runs.
 */
@JCStressTest
@Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "the operation entered before the close, which waited for it")
@Outcome(id = "0, 1", expect = Expect.ACCEPTABLE, desc = "the close came first: the operation was refused")
@Outcome(expect = Expect.FORBIDDEN, desc = "closed twice, never, or under a running operation")
@State
public class HandleCloseStress {
    final AtomicInteger closes = new AtomicInteger();
    volatile boolean running;
    volatile boolean closedUnderOperation;
    final PosixBackend.Handle handle = new PosixBackend.Handle(true, () -> {
        if (running) {
            closedUnderOperation = true;
        }
        closes.incrementAndGet();
    });

    @Actor
    public void operation(II_Result r) {
        if (handle.enter()) {
            running = true;
            r.r1 = 1;
            running = false;
            handle.exit();
        }
    }

    @Actor
    public void close() {
        if (handle.enter()) { // IRP_MJ_CLOSE is an operation on the handle too
            handle.closeWhenIdle();
            handle.exit();
        }
    }

    @Arbiter
    public void arbiter(II_Result r) {
        r.r2 = closedUnderOperation ? -1 : closes.get();
    }
}
