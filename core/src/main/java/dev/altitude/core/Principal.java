package dev.altitude.core;

/**
 * A file's owner or group as a file system knows it: a numeric id ({@code -1} when only the name is known) and
 * a name ({@code null} when only the id is known).
 */
public record Principal(int id, String name) {
    public static final int UNKNOWN_ID = -1;

    public Principal {
        if (id < UNKNOWN_ID) {
            throw new IllegalArgumentException("principal id " + id);
        }
        if (id == UNKNOWN_ID && name == null) {
            throw new IllegalArgumentException("a principal needs an id or a name");
        }
    }

    public static Principal ofId(int id) {
        return new Principal(id, null);
    }

    public static Principal ofName(String name) {
        return new Principal(UNKNOWN_ID, name);
    }

    public boolean hasId() {
        return id != UNKNOWN_ID;
    }

    @Override
    public String toString() {
        return name != null ? name : Integer.toString(id);
    }
}
