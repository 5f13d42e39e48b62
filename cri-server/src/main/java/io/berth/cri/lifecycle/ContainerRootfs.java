package io.berth.cri.lifecycle;

import io.berth.snapshot.Mounter;
import io.berth.snapshot.SnapshotException;
import io.berth.snapshot.Snapshotter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A container's root filesystem: a writable snapshot on its image's top layer, mounted at
 * {@code <rootfs dir>/<id>}. Kept out of the runtime's bundle so that removing a bundle can never
 * reach into a mounted filesystem. {@link #remove} undoes {@link #mount} in any state.
 */
public final class ContainerRootfs {
  private final Path dir;
  private final Snapshotter snapshots;
  private final Mounter mounter;

  public ContainerRootfs(Path dir, Snapshotter snapshots, Mounter mounter) {
    this.dir = dir;
    this.snapshots = snapshots;
    this.mounter = mounter;
  }

  public Path path(String id) {
    return dir.resolve(id);
  }

  /** Creates the writable snapshot {@code snapshotKey} on {@code parentChainId} and mounts it. */
  public Path mount(String id, String snapshotKey, String parentChainId) throws IOException {
    Path rootfs = Files.createDirectories(path(id));
    var mounts = snapshots.prepare(snapshotKey, parentChainId);
    try {
      mounter.mount(mounts, rootfs);
    } catch (RuntimeException e) {
      snapshots.remove(snapshotKey);
      Files.deleteIfExists(rootfs);
      throw e;
    }
    return rootfs;
  }

  /** Unmounts and deletes the rootfs and its snapshot (when {@code snapshotKey} is set); safe to repeat. */
  public void remove(String id, String snapshotKey) {
    Path rootfs = path(id);
    if (Files.exists(rootfs)) {
      mounter.unmount(rootfs);
    }
    if (snapshotKey != null && !snapshotKey.isEmpty()) {
      try {
        snapshots.remove(snapshotKey);
      } catch (SnapshotException.NotFound gone) {
        // removed before a crash
      }
    }
    try {
      Files.deleteIfExists(rootfs); // an empty mount point by now: rmdir never deletes content
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove rootfs mount point " + rootfs + ": " + e.getMessage(), e);
    }
  }
}
