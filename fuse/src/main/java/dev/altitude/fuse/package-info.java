/**
 * The FUSE front end: the FUSE kernel protocol spoken on {@code /dev/fuse} with the FFM API and no libfuse.
 * {@link dev.altitude.fuse.FuseMount} opens the device, mounts it, answers INIT and runs the worker threads;
 * {@code Operations} turns each request into core operations (through {@code PathCalls}); {@code Inodes} keeps node
 * ids keyed by the source's inode numbers; {@code Abi} holds the structures of {@code linux/fuse.h} (checked against
 * {@code offsetof}/{@code sizeof} by a test); {@code Libc} the calls; {@link dev.altitude.fuse.Errnos} maps
 * statuses and errno values both ways; {@code StaleMount} cleans a mount whose daemon died;
 * {@link dev.altitude.fuse.PosixBackend} is the volume's backend, the source held as a descriptor.
 */
package dev.altitude.fuse;
