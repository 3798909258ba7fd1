package dev.altitude.core;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * {@code FLT_FILE_NAME_INFORMATION}: the normalized, volume-relative name of an operation's file and its
 * parts. For "/dir/sub/report.final.txt": parent "/dir/sub/", final component "report.final.txt",
 * extension "txt". The root is "/" with an empty final component.
 */
public record FileNameInformation(String volume, String name, String parentDir, String finalComponent,
                                  String extension) {

    /** Normalizes {@code path} ('/'-separated; "." and ".." resolved; never above the root). */
    public static FileNameInformation of(String volume, String path) {
        Deque<String> parts = new ArrayDeque<>();
        for (String p : path.replace('\\', '/').split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                parts.pollLast();
            } else {
                parts.addLast(p);
            }
        }
        String name = "/" + String.join("/", parts);
        String last = parts.isEmpty() ? "" : parts.peekLast();
        String parent = parts.isEmpty() ? "/" : name.substring(0, name.length() - last.length());
        int dot = last.lastIndexOf('.');
        String ext = dot > 0 ? last.substring(dot + 1) : "";
        return new FileNameInformation(volume, name, parent, last, ext);
    }
}
