/** JMH benchmarks of dispatch, NIO, ports and FUSE; {@code bench/run} runs them and writes docs/PERFORMANCE.md. */
package dev.altitude.bench;
