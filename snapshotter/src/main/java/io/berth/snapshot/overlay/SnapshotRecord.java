package io.berth.snapshot.overlay;

import io.berth.snapshot.SnapshotInfo;
import io.berth.snapshot.StoredJson;
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
  /** Reads what {@link OverlaySnapshotter} wrote with Jackson (see {@link StoredJson}). */
  static SnapshotRecord read(StoredJson json) {
    String kind = json.string("kind");
    StoredJson usage = json.object("usage");
    return new SnapshotRecord(json.number("id"), json.string("key"), json.string("parent"),
        kind == null ? null : SnapshotInfo.Kind.valueOf(kind), created(json.string("created")),
        usage == null ? null : new Usage(usage.number("bytes"), usage.number("inodes")),
        json.bool("container"), json.string("layerRoot"));
  }

  private static Instant created(String text) {
    return text == null ? null : Instant.parse(text);
  }

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
