package io.berth.snapshot;

import java.time.Instant;
import java.util.Objects;

/** What the snapshotter knows of one snapshot. {@code parent} is null for a snapshot on nothing. */
public record SnapshotInfo(String key, String parent, Kind kind, Instant created) {
  /** The three kinds of snapshot. */
  public enum Kind {
    ACTIVE,
    VIEW,
    COMMITTED
  }

  public SnapshotInfo {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(created, "created");
  }
}
