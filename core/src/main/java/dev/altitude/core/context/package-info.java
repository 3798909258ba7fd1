/**
 * A context's storage, reference count and link ({@link dev.altitude.core.context.ContextBlock}): freed once,
 * by whoever drops the last reference, and its owner told. The rules of which context links where are the
 * filter's ({@code dev.altitude.core.Contexts}). Not exported.
 */
package dev.altitude.core.context;
