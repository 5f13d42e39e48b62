package io.berth.snapshot;

import java.util.List;
import java.util.function.Consumer;

/**
 * Stores filesystem snapshots: committed snapshots named by chain ID, each on a parent; active
 * snapshots (a container's writable layer, or a layer being unpacked) under a key; and
 * read-only views. It returns {@link Mount}s as data and never decides who mounts them.
 * Implementations are thread-safe.
 */
public interface Snapshotter extends AutoCloseable {
  /** Creates an active, writable snapshot {@code key} on committed {@code parent} (null: empty). */
  List<Mount> prepare(String key, String parent);

  /**
   * Creates a container's writable layer {@code key} on committed {@code parent}: active like
   * {@link #prepare}, but placed on the container filesystem when the store has one, and never
   * committed (image layers are unpacked through {@link #prepare}).
   */
  List<Mount> prepareContainer(String key, String parent);

  /** Creates a read-only view {@code key} of committed {@code parent}. */
  List<Mount> view(String key, String parent);

  /** Turns active snapshot {@code key} into committed snapshot {@code name}; the key is gone. */
  void commit(String name, String key);

  /** Removes a snapshot; refused while other snapshots have it as their parent. */
  void remove(String key);

  SnapshotInfo stat(String key);

  /** Calls {@code visitor} for every snapshot, in no particular order. */
  void walk(Consumer<SnapshotInfo> visitor);

  /** The mounts that assemble snapshot {@code key}. */
  List<Mount> mounts(String key);

  /** Disk usage of the snapshot's own layer (not its parents). */
  Usage usage(String key);

  /** Where a snapshot's own layer lives, for applying a layer into an active snapshot. */
  LayerDirs layerDirs(String key);

  @Override
  void close();
}
