package dev.altitude.nio;

import dev.altitude.core.FileMode;
import dev.altitude.core.IoParameters;
import dev.altitude.core.IoParameters.FileInformation;
import dev.altitude.core.IoResult;
import dev.altitude.core.Principal;
import java.io.IOException;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JDK's attribute views over core's typed attributes: what a volume answers ({@link IoResult.FileAttributes})
 * made into {@code BasicFileAttributes}, {@code PosixFileAttributes} and the maps of {@code readAttributes(String)},
 * and an attribute a program sets made into the operation that sets it. The views are {@code basic},
 * {@code posix}, {@code owner} and {@code unix}, with the JDK's attribute names.
 */
final class Attributes {
    private Attributes() {
    }

    static final List<String> BASIC = List.of("lastModifiedTime", "lastAccessTime", "creationTime", "size",
            "isRegularFile", "isDirectory", "isSymbolicLink", "isOther", "fileKey");
    private static final List<String> POSIX_ONLY = List.of("permissions", "owner", "group");
    private static final List<String> UNIX_ONLY = List.of("mode", "ino", "dev", "rdev", "nlink", "uid", "gid", "ctime");

    /** The views a volume over {@code base} offers: those of these four that the base has. */
    static Set<String> views(Set<String> base) {
        Set<String> v = new java.util.LinkedHashSet<>();
        for (String name : List.of("basic", "posix", "owner", "unix")) {
            if (base.contains(name)) {
                v.add(name);
            }
        }
        return v;
    }

    /** A file's identity: its device and inode, as the JDK's own key compares them. */
    record FileKey(long device, long inode) {
        @Override
        public String toString() {
            return "(dev=" + Long.toHexString(device) + ",ino=" + inode + ")";
        }
    }

    /** An owner or group as the volume names it; equal by name and kind. */
    record NamedPrincipal(String name, boolean isGroup) implements GroupPrincipal {
        @Override
        public String getName() {
            return name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** The base's lookup service, answering with principals of the volume's kind. */
    static UserPrincipalLookupService lookup(UserPrincipalLookupService base) {
        return new UserPrincipalLookupService() {
            @Override
            public UserPrincipal lookupPrincipalByName(String name) throws IOException {
                return new NamedPrincipal(base.lookupPrincipalByName(name).getName(), false);
            }

            @Override
            public GroupPrincipal lookupPrincipalByGroupName(String group) throws IOException {
                return new NamedPrincipal(base.lookupPrincipalByGroupName(group).getName(), true);
            }
        };
    }

    static Principal principal(UserPrincipal p) {
        return Principal.ofName(p.getName());
    }

    private static UserPrincipal userOf(Principal p) {
        return new NamedPrincipal(p.toString(), false);
    }

    private static GroupPrincipal groupOf(Principal p) {
        return new NamedPrincipal(p.toString(), true);
    }

    /** {@code BasicFileAttributes} of typed attributes: exactly the basic kind, as the JDK gives for that class. */
    static class Basic implements BasicFileAttributes {
        final IoResult.FileAttributes a;

        Basic(IoResult.FileAttributes a) {
            this.a = a;
        }

        @Override
        public FileTime lastModifiedTime() {
            return a.lastModifiedTime();
        }

        @Override
        public FileTime lastAccessTime() {
            return a.lastAccessTime();
        }

        @Override
        public FileTime creationTime() {
            return a.creationTime();
        }

        @Override
        public boolean isRegularFile() {
            return a.kind() == IoParameters.FileKind.FILE;
        }

        @Override
        public boolean isDirectory() {
            return a.kind() == IoParameters.FileKind.DIRECTORY;
        }

        @Override
        public boolean isSymbolicLink() {
            return a.kind() == IoParameters.FileKind.SYMBOLIC_LINK;
        }

        @Override
        public boolean isOther() {
            return a.kind().isOther();
        }

        @Override
        public long size() {
            return a.size();
        }

        @Override
        public Object fileKey() {
            return a.inode() >= 0 && a.device() >= 0 ? new FileKey(a.device(), a.inode()) : null;
        }
    }

    /** {@code PosixFileAttributes}, for a volume that keeps mode, owner and group. */
    static final class Posix extends Basic implements PosixFileAttributes {
        Posix(IoResult.FileAttributes a) {
            super(a);
        }

        @Override
        public UserPrincipal owner() {
            return userOf(a.owner());
        }

        @Override
        public GroupPrincipal group() {
            return groupOf(a.group());
        }

        @Override
        public Set<PosixFilePermission> permissions() {
            return a.mode().permissions();
        }
    }

    /** The attributes as {@code type}: basic or POSIX, exactly the kind asked for. */
    static <A extends BasicFileAttributes> A as(Class<A> type, IoResult.FileAttributes a) {
        if (type == BasicFileAttributes.class) {
            return type.cast(new Basic(a));
        }
        if (type == PosixFileAttributes.class && a.hasPosix()) {
            return type.cast(new Posix(a));
        }
        throw new UnsupportedOperationException(type.getName() + " is not supported on this volume");
    }

    /** What {@code readAttributes(path, "view:names")} asks: the view, its names, and whether names are needed. */
    record Request(String view, List<String> names) {
        boolean needsPrincipalNames() {
            return !view.equals("basic") && (names.contains("*") || names.contains("owner") || names.contains("group"));
        }
    }

    static Request request(String attributes, Set<String> views) {
        int colon = attributes.indexOf(':');
        String view = colon < 0 ? "basic" : attributes.substring(0, colon);
        String names = colon < 0 ? attributes : attributes.substring(colon + 1);
        if (!views.contains(view)) {
            throw new UnsupportedOperationException("View '" + view + "' not available");
        }
        List<String> known = known(view);
        List<String> asked = List.of(names.split(","));
        for (String n : asked) {
            if (!n.equals("*") && !known.contains(n)) {
                throw new IllegalArgumentException("'" + n + "' not recognized");
            }
        }
        return new Request(view, asked);
    }

    private static List<String> known(String view) {
        List<String> k = new java.util.ArrayList<>(view.equals("owner") ? List.of() : BASIC);
        switch (view) {
            case "posix" -> k.addAll(POSIX_ONLY);
            case "unix" -> {
                k.addAll(POSIX_ONLY);
                k.addAll(UNIX_ONLY);
            }
            case "owner" -> k.add("owner");
            default -> { }
        }
        return k;
    }

    /** The map {@code readAttributes(String)} gives for a request. */
    static Map<String, Object> map(Request r, IoResult.FileAttributes a) {
        List<String> names = r.names().contains("*") ? known(r.view()) : r.names();
        if (!r.view().equals("basic") && !a.hasPosix() || r.view().equals("unix") && a.inode() < 0) {
            throw new UnsupportedOperationException("View '" + r.view() + "' not available");
        }
        Posix v = new Posix(a); // a basic request reads only its basic attributes
        Map<String, Object> m = new HashMap<>();
        for (String n : names) {
            m.put(n, switch (n) {
                case "lastModifiedTime" -> v.lastModifiedTime();
                case "lastAccessTime" -> v.lastAccessTime();
                case "creationTime" -> v.creationTime();
                case "size" -> v.size();
                case "isRegularFile" -> v.isRegularFile();
                case "isDirectory" -> v.isDirectory();
                case "isSymbolicLink" -> v.isSymbolicLink();
                case "isOther" -> v.isOther();
                case "fileKey" -> v.fileKey();
                case "permissions" -> v.permissions();
                case "owner" -> v.owner();
                case "group" -> v.group();
                case "mode" -> a.kind().posixType() | a.mode().bits();
                case "ino" -> a.inode();
                case "dev" -> a.device();
                case "rdev" -> a.rdev();
                case "nlink" -> a.links();
                case "uid" -> a.owner().id();
                case "gid" -> a.group().id();
                case "ctime" -> a.changeTime();
                default -> throw new IllegalArgumentException("'" + n + "' not recognized");
            });
        }
        return m;
    }

    /**
     * The operation that sets {@code attribute} ({@code "view:name"}, the view {@code basic} when none is given)
     * to {@code value}: owner, group and permissions are security ({@code SET_SECURITY}); times are basic
     * information ({@code SET_INFORMATION}). A value of the wrong type is a {@link ClassCastException}, as on
     * the JDK.
     */
    static IoParameters setting(String attribute, Object value, Set<String> views) {
        int colon = attribute.indexOf(':');
        String view = colon < 0 ? "basic" : attribute.substring(0, colon);
        String name = colon < 0 ? attribute : attribute.substring(colon + 1);
        if (!views.contains(view)) {
            throw new UnsupportedOperationException("View '" + view + "' not available");
        }
        IoParameters p = switch (name) {
            case "lastModifiedTime" -> new IoParameters.SetInformation(FileInformation.Basic.lastWrite((FileTime) value));
            case "lastAccessTime" -> new IoParameters.SetInformation(FileInformation.Basic.lastAccess((FileTime) value));
            case "creationTime" -> new IoParameters.SetInformation(new FileInformation.Basic((FileTime) value, null, null,
                    null));
            default -> null;
        };
        if (p != null && !view.equals("owner")) {
            return p;
        }
        p = switch (view + ":" + name) {
            case "posix:permissions", "unix:permissions" -> {
                @SuppressWarnings("unchecked")
                Set<PosixFilePermission> perms = (Set<PosixFilePermission>) value;
                yield IoParameters.SetSecurity.mode(FileMode.of(perms));
            }
            case "unix:mode" -> IoParameters.SetSecurity.mode(FileMode.of((Integer) value));
            case "posix:owner", "unix:owner", "owner:owner" ->
                    IoParameters.SetSecurity.chown(principal((UserPrincipal) value), null);
            case "posix:group", "unix:group" -> IoParameters.SetSecurity.chown(null, principal((GroupPrincipal) value));
            case "unix:uid" -> IoParameters.SetSecurity.chown(Principal.ofId((Integer) value), null);
            case "unix:gid" -> IoParameters.SetSecurity.chown(null, Principal.ofId((Integer) value));
            default -> null;
        };
        if (p == null) {
            throw new IllegalArgumentException("'" + attribute + "' not recognized");
        }
        return p;
    }
}
