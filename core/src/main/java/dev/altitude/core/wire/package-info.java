/**
 * The port protocol between a filter's server port and a client in another process: the frame format
 * ({@link dev.altitude.core.wire.PortWire}, bounded in every length it reads) and one connection's transport
 * ({@link dev.altitude.core.wire.PortChannel}: whoever waits reads). Not exported.
 */
package dev.altitude.core.wire;
