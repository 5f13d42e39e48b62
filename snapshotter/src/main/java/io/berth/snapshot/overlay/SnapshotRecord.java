package io.berth.snapshot.overlay;

import io.berth.snapshot.SnapshotInfo;
import io.berth.snapshot.Usage;
import java.time.Instant;

/**
 * One snapshot as persisted in {@code <root>/<id>/meta.json}; {@code id} names its directory.
 * {@code container} marks a container's writable layer; {@code layerRoot}, when not null, is the
 * directory holding its {@code <id>/fs} and {@code <id>/work} (the container root) instead of
 * {@code <root>/<id>}. Stores written before these two fields existed read as false and null.
 */
record SnapshotRecord(long id, String key, String parent, SnapshotInfo.Kind kind, Instant created, Usage usage,
    boolean container, String layerRoot) {
  SnapshotInfo info() {
    return new SnapshotInfo(key, parent, kind, created);
  }

  SnapshotRecord committedAs(String name, Usage measured) {
    return new SnapshotRecord(id, name, parent, SnapshotInfo.Kind.COMMITTED, created, measured, container,
        layerRoot);
  }

  SnapshotRecord withUsage(Usage measured) {
    return new SnapshotRecord(id, key, parent, kind, created, measured, container, layerRoot);
  }
}
