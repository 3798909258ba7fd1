/**
 * The FUSE front end: {@link dev.altitude.fuse.FuseMount} mounts a volume, {@code FuseVolume} turns each FUSE
 * operation into core operations, {@link dev.altitude.fuse.Errnos} maps statuses and errno values both ways.
 */
package dev.altitude.fuse;
