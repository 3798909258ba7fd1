/**
 * The filter manager and everything a filter author or a user-mode client uses.
 *
 * <p>Start at {@link dev.altitude.core.FilterManager} (drivers, filters, volumes, load and unload) and
 * {@link dev.altitude.core.FilterRegistration} (what a filter registers). An operation is a
 * {@link dev.altitude.core.CallbackData}: its typed {@link dev.altitude.core.IoParameters}, its file object, who
 * asked, and what it gave back ({@link dev.altitude.core.IoResult}); {@code Dispatch} presents it to the stack of
 * {@link dev.altitude.core.Instance}s of a {@link dev.altitude.core.Volume}. Contexts: {@link
 * dev.altitude.core.Context}, their rules in {@code Contexts}. Ports: {@link dev.altitude.core.ServerPort},
 * {@link dev.altitude.core.ClientPort}, and {@link dev.altitude.core.FilterClient} on the user side.
 *
 * <p>The unload path reads top to bottom in three files: the decision ({@code FilterManager.unloadFilter}), the
 * unregistration ({@code Unregistration}: one method per step) and the teardown of a set of instances
 * ({@code Teardown}), which every path that tears instances down uses.
 */
package dev.altitude.core;
