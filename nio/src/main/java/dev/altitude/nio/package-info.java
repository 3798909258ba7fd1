/**
 * The {@code java.nio.file} front end: {@link dev.altitude.nio.AltitudeFileSystemProvider} (filtered file systems,
 * and default-provider mode), the JDK's attribute views over core's typed attributes ({@code Attributes}), and
 * {@link dev.altitude.nio.NioBackend}, a volume over a directory of any NIO file system ({@code
 * NioBackend}).
 */
package dev.altitude.nio;
