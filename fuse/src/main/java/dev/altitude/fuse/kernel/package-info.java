/**
 * The FUSE kernel protocol spoken on {@code /dev/fuse} without libfuse ({@code altitude mount --protocol kernel}):
 * {@link dev.altitude.fuse.kernel.KernelMount} (open, {@code mount(2)}, INIT, worker threads, unmount),
 * {@code Operations} (each request as core operations), {@code Inodes} (node ids keyed by the source's inode
 * numbers), {@code Abi} (the structures of {@code linux/fuse.h}, checked against {@code offsetof}/{@code sizeof} by
 * a test) and {@code Libc} (the calls, through FFM).
 */
package dev.altitude.fuse.kernel;
