package dev.altitude.core;

import dev.altitude.core.context.ContextBlock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A filter's contexts, every rule in one place ({@code FltAllocateContext}, {@code FltSet/Get/Delete*Context},
 * {@code FltReleaseContext}, the cleanup callback, and what a teardown and an unregister do with them).
 *
 * <p>The objects: a {@link ContextBlock} is one context (its value, reference count and link); a {@link Context}
 * is one reference a filter holds. A context is linked to at most one object, in that object's map, under a key
 * that says whose it is: an instance's own map ({@code INSTANCE}), the volume's ({@code VOLUME}, keyed by the
 * filter: one per filter, shared by its instances there), a stream's ({@code STREAM}, {@code FILE}: keyed by
 * instance and type) or a file object's ({@code STREAM_HANDLE}, keyed by instance). The link holds one reference;
 * unlinking drops it; whoever drops the last reference frees the block, and the cleanup callback runs once.
 *
 * <p>When links go: a file object's at its {@code CLOSE}, a stream's with its last close ({@link Volume}); those
 * linked through an instance when it is torn down; the filter's volume contexts when it unregisters or the volume
 * dismounts. A context a filter still references then keeps its unregister waiting (a rundown holder); the
 * verifier names where each such reference was taken.
 */
final class Contexts implements ContextBlock.Owner {
    private final Filter filter;
    private final Map<ContextType, FilterRegistration.ContextRegistration> types = new EnumMap<>(ContextType.class);
    /** Every block not yet freed, with the filter's rundown holder for it. */
    private final Map<ContextBlock, Holder> live = new ConcurrentHashMap<>();
    /** The filter's volume contexts that are linked now. */
    final Set<ContextBlock> linkedToVolumes = ConcurrentHashMap.newKeySet();
    /** In verifier mode: every reference not yet closed, with where it was taken. */
    private final Set<Context<?>> openReferences = ConcurrentHashMap.newKeySet();

    Contexts(Filter filter, List<FilterRegistration.ContextRegistration> registrations) {
        this.filter = filter;
        for (FilterRegistration.ContextRegistration c : registrations) {
            types.put(c.type(), c);
        }
    }

    /** How many contexts are not yet freed. */
    int liveCount() {
        return live.size();
    }

    // ---- allocation and references ---------------------------------------------------------------

    <T> Context<T> allocate(ContextType type, T value) {
        filter.checkNotUnregistered("allocate a context");
        if (!types.containsKey(type)) {
            throw new NtStatusException(NtStatus.FLT_CONTEXT_ALLOCATION_NOT_FOUND,
                    "filter '" + filter.name() + "' registered no " + type + " context");
        }
        Holder alive = new Holder(HolderKind.CONTEXT_REFERENCE, null, type + " context", filter.verifier());
        if (!filter.holders.tryAdd(alive)) {
            throw new NtStatusException(NtStatus.FLT_DELETING_OBJECT, "filter '" + filter.name() + "' is unloading");
        }
        ContextBlock block = new ContextBlock(this, type, value);
        live.put(block, alive);
        if (filter.manager().probe != null) {
            filter.manager().probe.contextAllocated(filter, block);
        }
        return newReference(block);
    }

    /** A reference object for a count the caller already took. */
    <T> Context<T> newReference(ContextBlock block) {
        Holder h = filter.verifier() ? new Holder(HolderKind.CONTEXT_REFERENCE, null, block.type + " context reference", true)
                : null;
        Context<T> ref = new Context<>(block, h, this);
        if (h != null) {
            openReferences.add(ref);
        }
        return ref;
    }

    void referenceClosed(Context<?> ref) {
        if (ref.holder != null) {
            openReferences.remove(ref);
        }
    }

    @Override
    public void misuse(Diagnostic.Kind kind, String message) {
        filter.misuse(kind, message);
    }

    /** The last reference is gone: cleanup callback (once), then the filter's holder for it goes. */
    @Override
    public void freed(ContextBlock block) {
        Holder alive = live.remove(block);
        FilterRegistration.ContextRegistration reg = types.get(block.type);
        if (filter.manager().probe != null) {
            filter.manager().probe.contextFreed(filter, block);
        }
        try {
            if (filter.isUnregistered()) {
                filter.misuse(Diagnostic.Kind.INTERNAL_ERROR, "BUG: a context was freed after unregister returned; cleanup not called");
            } else if (reg != null && reg.cleanup() != null) {
                filter.guarded(filter, block.type + " context cleanup threw", () -> reg.cleanup().onCleanup(block.value, block.type));
            }
        } finally {
            if (alive != null) {
                filter.holders.remove(alive);
            }
        }
    }

    // ---- links: set, get, delete ------------------------------------------------------------------

    <T> Instance.SetResult<T> set(Instance inst, ContextType type, FileObject file, Context<T> context,
                                  Instance.SetMode mode) {
        ContextBlock block = context.block;
        if (block.owner() != this || block.type != type || context.isClosed() || block.isFreed()) {
            return new Instance.SetResult<>(NtStatus.INVALID_PARAMETER, null);
        }
        if (block.isLinked()) {
            return new Instance.SetResult<>(NtStatus.FLT_CONTEXT_ALREADY_LINKED, null);
        }
        Map<Object, ContextBlock> map = mapOf(inst, type, file);
        if (map == null) {
            return new Instance.SetResult<>(NtStatus.NOT_SUPPORTED, null);
        }
        if (inst.contextsClosed || !inst.isAttached()) {
            return new Instance.SetResult<>(NtStatus.FLT_DELETING_OBJECT, null);
        }
        Object key = keyOf(inst, type);
        block.reference(); // the link's reference, before anyone can see the link
        block.linked(map, key, linkedOf(inst, block), where(inst, type, file));
        Context<T> existing = null;
        if (mode == Instance.SetMode.KEEP_IF_EXISTS) {
            ContextBlock other = map.putIfAbsent(key, block);
            if (other != null) {
                block.clearLink();
                block.release();
                return new Instance.SetResult<>(NtStatus.FLT_CONTEXT_ALREADY_DEFINED,
                        other.tryReference() ? newReference(other) : null);
            }
        } else {
            ContextBlock old = map.put(key, block);
            if (old != null) {
                // the old link's reference becomes the caller's reference to the old context
                old.clearLink();
                linkedOf(inst, old).remove(old);
                existing = newReference(old);
            }
        }
        linkedOf(inst, block).add(block);
        if (inst.contextsClosed || !inst.isAttached()) {
            block.unlink(); // the teardown's sweep may have missed it
            if (existing != null) {
                existing.close();
            }
            return new Instance.SetResult<>(NtStatus.FLT_DELETING_OBJECT, null);
        }
        return new Instance.SetResult<>(NtStatus.SUCCESS, existing);
    }

    <T> Optional<Context<T>> get(Instance inst, ContextType type, FileObject file) {
        Map<Object, ContextBlock> map = mapOf(inst, type, file);
        if (map == null) {
            return Optional.empty();
        }
        ContextBlock block = map.get(keyOf(inst, type));
        if (block == null || !block.tryReference()) {
            return Optional.empty();
        }
        return Optional.of(newReference(block));
    }

    NtStatus delete(Instance inst, ContextType type, FileObject file) {
        Map<Object, ContextBlock> map = mapOf(inst, type, file);
        ContextBlock block = map == null ? null : map.get(keyOf(inst, type));
        return block != null && block.unlink() ? NtStatus.SUCCESS : NtStatus.NOT_FOUND;
    }

    private static Map<Object, ContextBlock> mapOf(Instance inst, ContextType type, FileObject file) {
        return switch (type) {
            case INSTANCE -> inst.instanceContext;
            case VOLUME -> inst.volume().contexts;
            case STREAM, FILE -> file == null || file.stream() == null ? null : file.stream().contexts;
            case STREAM_HANDLE -> file == null || file.stream() == null ? null : file.contexts;
        };
    }

    private Object keyOf(Instance inst, ContextType type) {
        return switch (type) {
            case INSTANCE -> ContextType.INSTANCE;
            case VOLUME -> filter;
            case STREAM, FILE -> new StreamKey(inst, type);
            case STREAM_HANDLE -> inst;
        };
    }

    private record StreamKey(Instance instance, ContextType type) {
    }

    private Set<ContextBlock> linkedOf(Instance inst, ContextBlock block) {
        return block.type == ContextType.VOLUME ? linkedToVolumes : inst.linkedContexts;
    }

    private static String where(Instance inst, ContextType type, FileObject file) {
        return switch (type) {
            case INSTANCE -> "instance '" + inst.name() + "'";
            case VOLUME -> "volume " + inst.volume().name();
            case STREAM, FILE -> type.name().toLowerCase(java.util.Locale.ROOT) + " " + file.path();
            case STREAM_HANDLE -> "handle #" + file.id() + " of " + file.path();
        };
    }

    // ---- when links go ------------------------------------------------------------------------------

    /** Unlinks every context in an object's map (a file object's close, a stream's last close, a dismount). */
    static void unlinkAll(Map<Object, ContextBlock> map) {
        for (ContextBlock b : List.copyOf(map.values())) {
            b.unlink();
        }
    }

    /** Teardown step 5: no context set on the instance starts; those linked through it are unlinked and checked. */
    void deleteLinkedThrough(Instance inst) {
        inst.contextsClosed = true;
        for (ContextBlock block : new ArrayList<>(inst.linkedContexts)) {
            block.unlink();
            verifyReleased(block, "instance '" + inst.name() + "' was torn down");
        }
    }

    /** Unregister step 5: the filter's volume contexts are unlinked; every context left is checked. */
    void deleteForUnregister() {
        for (ContextBlock block : List.copyOf(linkedToVolumes)) {
            block.unlink();
        }
        for (ContextBlock block : List.copyOf(live.keySet())) {
            verifyReleased(block, "the filter unregistered");
        }
    }

    /** Verifier: a context that should be gone is still referenced; name where the references were taken. */
    private void verifyReleased(ContextBlock block, String when) {
        if (!filter.verifier() || !block.stillReferenced()) {
            return;
        }
        StringBuilder sites = new StringBuilder();
        for (Context<?> ref : openReferences) {
            if (ref.block == block && !ref.isClosed()) {
                sites.append("\n    reference taken at ").append(ref.site().isEmpty() ? "?" : ref.site().getFirst());
            }
        }
        filter.misuse(Diagnostic.Kind.LEAKED_REFERENCE, "leaked context reference: " + block.describe() + " after " + when
                + "; unregister will wait for it" + sites);
    }

    /** For the unload report: the context a holder stands for, and where its last open reference was taken. */
    UnloadReport.Entry reportEntry(Holder h, long now) {
        ContextBlock block = live.entrySet().stream().filter(e -> e.getValue() == h).map(Map.Entry::getKey)
                .findFirst().orElse(null);
        String detail = block == null ? h.detail : block.describe();
        List<StackTraceElement> site = h.site;
        for (Context<?> ref : openReferences) {
            if (ref.block == block && !ref.isClosed() && !ref.site().isEmpty()) {
                site = ref.site();
            }
        }
        return new UnloadReport.Entry(h.kind, null, null, detail, java.time.Duration.ofNanos(now - h.since), h.thread, site);
    }
}
