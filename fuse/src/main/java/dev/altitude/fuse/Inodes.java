package dev.altitude.fuse;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel's inodes: a node id for each file the kernel looked up, with its lookup count. Nodes are keyed by the
 * source's inode number, so the names of a hard link are one node (one inode for the kernel: same size, same link
 * count, `find -samefile` right). A node carries every name it was reached by, the latest first, so an operation on
 * it still finds the file after one of its names is unlinked; a rename moves the names below it.
 * Node ids are never reused while the mount lives, so the generation is always 0.
 */
final class Inodes {
    static final class Node {
        final long id;
        final long ino;
        /** What tells this file from a later one given the same inode number (its type), 0 if unknown. */
        final long identity;
        /** Its names, the one reached last at the end. */
        final java.util.LinkedHashSet<String> paths = new java.util.LinkedHashSet<>();
        long lookups;

        Node(long id, long ino, long identity, String path) {
            this.id = id;
            this.ino = ino;
            this.identity = identity;
            paths.add(path);
        }

        String path() {
            return paths.getLast();
        }
    }

    private final Map<Long, Node> byId = new HashMap<>();
    private final Map<Long, Node> byIno = new HashMap<>();
    /** Each name to the node it last named; sorted, so the names below a directory are one range. */
    private final java.util.TreeMap<String, Node> byPath = new java.util.TreeMap<>();
    private long next = Abi.ROOT_ID + 1;

    Inodes() {
        byId.put(Abi.ROOT_ID, new Node(Abi.ROOT_ID, -1, 0, "/"));
    }

    /** A lookup of a file known by its inode number alone (no identity). */
    synchronized Node lookedUp(String path, long ino) {
        return lookedUp(path, ino, 0);
    }

    /**
     * A lookup of {@code path}, whose source inode is {@code ino} and {@code identity} (its type, 0 if unknown): the
     * node, its count one higher. A source reuses the inode number of a deleted file for a new one
     * while the kernel may still hold the old node: another identity is another file, and gets a node of its own.
     */
    synchronized Node lookedUp(String path, long ino, long identity) {
        if (path.equals("/")) {
            return byId.get(Abi.ROOT_ID);
        }
        Node n = ino >= 0 ? byIno.get(ino) : null;
        if (n != null && identity != 0 && n.identity != 0 && n.identity != identity) {
            byIno.remove(ino, n); // a recycled inode number: the old node lives on until the kernel forgets it
            n = null;
        }
        if (n == null) {
            n = new Node(next++, ino, identity, path);
            byId.put(n.id, n);
            if (ino >= 0) {
                byIno.put(ino, n);
            }
        }
        Node before = byPath.put(path, n);
        if (before != null && before != n && before.paths.size() > 1) {
            before.paths.remove(path); // the name is another file's now
        }
        n.paths.remove(path);
        n.paths.add(path);
        n.lookups++;
        return n;
    }

    /** The path of a node, or null for one the kernel forgot (or never had). */
    synchronized String path(long id) {
        Node n = byId.get(id);
        return n == null || n.paths.isEmpty() ? null : n.path();
    }

    /** The node a name leads to (the root for "/"), or 0 if the kernel has none for it. */
    synchronized long nodeOf(String path) {
        if (path.equals("/")) {
            return Abi.ROOT_ID;
        }
        Node n = byPath.get(path);
        return n == null ? 0 : n.id;
    }

    /** {@code FORGET}: the kernel dropped {@code count} lookups; a node with none left is gone. */
    synchronized void forget(long id, long count) {
        Node n = byId.get(id);
        if (n == null || id == Abi.ROOT_ID) {
            return;
        }
        n.lookups -= count;
        if (n.lookups <= 0) {
            byId.remove(id);
            byIno.remove(n.ino, n);
            for (String p : n.paths) {
                byPath.remove(p, n);
            }
        }
    }

    /** A rename: the name {@code from} and every name below it now live under {@code to}. */
    synchronized void renamed(String from, String to) {
        unlinked(to); // the file the rename replaced, if any, lost that name
        renamedKeeping(from, to);
    }

    private void renamedKeeping(String from, String to) {
        Map<String, Node> moved = new java.util.LinkedHashMap<>();
        Node self = byPath.remove(from);
        if (self != null) {
            moved.put(from, self);
        }
        var below = byPath.subMap(from + "/", true, from + "0", false); // '0' follows '/'
        moved.putAll(below);
        below.clear();
        for (Map.Entry<String, Node> e : moved.entrySet()) {
            String name = to + e.getKey().substring(from.length());
            Node n = e.getValue();
            List<String> names = new ArrayList<>(n.paths);
            n.paths.clear();
            for (String p : names) {
                n.paths.add(p.equals(e.getKey()) ? name : p);
            }
            byPath.put(name, n);
        }
    }

    /** A {@code RENAME_EXCHANGE}: the two names, and the names below them, swap their nodes. */
    synchronized void exchanged(String a, String b) {
        String aside = "\0" + a; // no name of the kernel's has a NUL
        renamedKeeping(a, aside);
        renamedKeeping(b, a);
        renamedKeeping(aside, b);
    }

    /**
     * {@code path} is no longer a name of the node that had it. A node's only name stays its name (an open file's
     * GETATTR still finds it through its handle until the kernel forgets the node), but the node no longer answers
     * for its inode number: the source may give that number to the next file it makes, even of the same type (a
     * directory removed, another made), and that file must get a node of its own, not the removed one's (whose
     * kernel inode is dead: pjdfstest's mkdir failed under load when a new directory got it).
     */
    synchronized void unlinked(String path) {
        Node n = byPath.get(path);
        if (n == null || n.id == Abi.ROOT_ID) {
            return;
        }
        if (n.paths.size() > 1) {
            n.paths.remove(path);
            byPath.remove(path);
        } else {
            byIno.remove(n.ino, n);
            byPath.remove(path, n);
        }
    }

    synchronized int size() {
        return byId.size();
    }
}
