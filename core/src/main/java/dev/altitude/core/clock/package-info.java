/**
 * A coarse clock for what is stamped on the per-operation path (when a post-operation became owed): one
 * ticking thread shared while any manager is open. Not exported.
 */
package dev.altitude.core.clock;
