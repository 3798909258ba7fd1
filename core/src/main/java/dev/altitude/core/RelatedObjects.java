package dev.altitude.core;

/** {@code FLT_RELATED_OBJECTS}: the filter, volume and instance a callback runs for. */
public interface RelatedObjects {
    Filter filter();

    Volume volume();

    Instance instance();
}
