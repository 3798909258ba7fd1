package dev.altitude.core;

import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * A file's POSIX mode bits, {@code 07777}: the nine permissions and set-user-ID, set-group-ID and sticky. The
 * same value whichever front end sent it (a FUSE {@code chmod}, an NIO {@code setPosixFilePermissions}), so a
 * filter reads a permission change without knowing where it came from.
 */
public record FileMode(int bits) {
    public static final int SET_USER_ID = 04000;
    public static final int SET_GROUP_ID = 02000;
    public static final int STICKY = 01000;
    private static final PosixFilePermission[] PERMISSIONS = PosixFilePermission.values(); // OWNER_READ … OTHERS_EXECUTE

    public FileMode {
        if ((bits & ~07777) != 0) {
            throw new IllegalArgumentException("mode bits beyond 07777: " + Integer.toOctalString(bits));
        }
    }

    /** The bits of {@code mode} that are mode bits; the file type bits ({@code S_IFMT}) are dropped. */
    public static FileMode of(int mode) {
        return new FileMode(mode & 07777);
    }

    public static FileMode of(Set<PosixFilePermission> permissions) {
        int bits = 0;
        for (PosixFilePermission p : permissions) {
            bits |= 1 << (8 - p.ordinal());
        }
        return new FileMode(bits);
    }

    /** The nine permissions; set-user-ID, set-group-ID and sticky have no {@link PosixFilePermission}. */
    public Set<PosixFilePermission> permissions() {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        for (int i = 0; i < PERMISSIONS.length; i++) {
            if ((bits & (1 << (8 - i))) != 0) {
                s.add(PERMISSIONS[i]);
            }
        }
        return s;
    }

    public boolean has(int bit) {
        return (bits & bit) == bit;
    }

    @Override
    public String toString() {
        return String.format("%04o", bits);
    }
}
