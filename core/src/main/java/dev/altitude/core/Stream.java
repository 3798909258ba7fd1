package dev.altitude.core;

import dev.altitude.core.context.ContextBlock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A file's identity on a volume while it is open: every file object opened on the same path shares it.
 * Stream and file contexts hang here; they are deleted when the last file object of the stream closes.
 */
final class Stream {
    final String path;
    /** Open file objects; changed only inside the volume's stream table's atomic compute. */
    int opens;
    final Map<Object, ContextBlock> contexts = new ConcurrentHashMap<>();

    Stream(String path) {
        this.path = path;
    }
}
