package io.berth.snapshot.overlay;

import io.berth.snapshot.SnapshotInfo;
import io.berth.snapshot.Usage;
import java.time.Instant;

/** One snapshot as persisted in {@code <root>/<id>/meta.json}; {@code id} names its directory. */
record SnapshotRecord(long id, String key, String parent, SnapshotInfo.Kind kind, Instant created, Usage usage) {
  SnapshotInfo info() {
    return new SnapshotInfo(key, parent, kind, created);
  }

  SnapshotRecord committedAs(String name, Usage measured) {
    return new SnapshotRecord(id, name, parent, SnapshotInfo.Kind.COMMITTED, created, measured);
  }

  SnapshotRecord withUsage(Usage measured) {
    return new SnapshotRecord(id, key, parent, kind, created, measured);
  }
}
