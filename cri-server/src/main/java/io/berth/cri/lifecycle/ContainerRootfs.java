package io.berth.cri.lifecycle;

import io.berth.cri.userns.ContainerIdmaps;
import io.berth.oci.spec.RuntimeSpec;
import io.berth.snapshot.Mount;
import io.berth.snapshot.Mounter;
import io.berth.snapshot.SnapshotException;
import io.berth.snapshot.Snapshotter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A container's root filesystem: a writable snapshot on its image's top layer, mounted at
 * {@code <rootfs dir>/<id>}; and its image volumes: read-only views of other images' layers,
 * mounted at {@code <image-volumes dir>/<id>/<mount index>} (snapshot key {@code imgvol-<id>-<index>},
 * which also keeps those layers from image GC). Kept out of the runtime's bundle so that removing a
 * bundle can never reach into a mounted filesystem. {@link #remove} undoes {@link #mount} and
 * {@link #mountImageVolume} in any state.
 */
public final class ContainerRootfs {
  private static final String VOLUME_PREFIX = "imgvol-";

  private final Path dir;
  private final Path volumes;
  private final Snapshotter snapshots;
  private final Mounter mounter;
  private final ContainerIdmaps idmaps;

  /** Image volumes go next to {@code dir}, in {@code image-volumes}; no container may be in a user namespace. */
  public ContainerRootfs(Path dir, Snapshotter snapshots, Mounter mounter) {
    this(dir, snapshots, mounter, null);
  }

  /** As above; {@code idmaps} makes and removes the views of containers in a pod's user namespace. */
  public ContainerRootfs(Path dir, Snapshotter snapshots, Mounter mounter, ContainerIdmaps idmaps) {
    this.dir = dir;
    this.volumes = dir.resolveSibling("image-volumes");
    this.snapshots = snapshots;
    this.mounter = mounter;
    this.idmaps = idmaps;
  }

  public Path path(String id) {
    return dir.resolve(id);
  }

  /** Creates the writable snapshot {@code snapshotKey} on {@code parentChainId} and mounts it. */
  public Path mount(String id, String snapshotKey, String parentChainId) throws IOException {
    return mount(id, snapshotKey, parentChainId, null);
  }

  /**
   * As above, for a container in its pod's user namespace {@code userns} (null: the host's): the
   * overlay's lower dirs are read through an idmapped copy and its upper dir belongs to the mapped root.
   */
  public Path mount(String id, String snapshotKey, String parentChainId, ContainerIdmaps.Target userns)
      throws IOException {
    Path rootfs = Files.createDirectories(path(id));
    mountOrUndo(id, "rootfs", snapshotKey, snapshots.prepareContainer(snapshotKey, parentChainId), rootfs,
        userns);
    return rootfs;
  }

  /**
   * Mounts a read-only view of committed snapshot {@code chainId} (an image's top layer) as image
   * volume {@code index} of container {@code id}: an overlay with the image's layers as lower dirs,
   * top first, so the upper layers' whiteouts hide what they deleted; no upper dir, no copy.
   */
  public Path mountImageVolume(String id, int index, String chainId) throws IOException {
    return mountImageVolume(id, index, chainId, null);
  }

  /** As above, its layers read through an idmapped copy for a container in user namespace {@code userns}. */
  public Path mountImageVolume(String id, int index, String chainId, ContainerIdmaps.Target userns)
      throws IOException {
    Path target = Files.createDirectories(volumes.resolve(id).resolve(Integer.toString(index)));
    String key = volumeKey(id, index);
    mountOrUndo(id, "volume-" + index, key, snapshots.view(key, chainId), target, userns);
    return target;
  }

  /**
   * Mounts snapshot {@code key}'s {@code mounts} on {@code target}, its layers through idmapped
   * copies (named {@code label}) for user namespace {@code userns}; if that fails, the snapshot
   * and the mount point go again, so a failed create leaves neither.
   */
  private void mountOrUndo(String id, String label, String key, List<Mount> mounts, Path target,
      ContainerIdmaps.Target userns) throws IOException {
    try {
      mounter.mount(userns == null ? mounts : idmaps().layers(id, label, userns, mounts), target);
    } catch (RuntimeException | IOException e) {
      snapshots.remove(key);
      Files.deleteIfExists(target);
      throw e;
    }
  }

  /**
   * {@code spec} joining user namespace {@code userns}: the rootfs and every bind mount shown through
   * idmapped views ({@link ContainerIdmaps#join}); the image volumes' views show mapped owners already.
   */
  public RuntimeSpec joinUserNamespace(String id, ContainerIdmaps.Target userns, RuntimeSpec spec)
      throws IOException {
    Path mine = volumes.resolve(id);
    return idmaps().join(id, userns, spec, path(id), source -> Path.of(source).startsWith(mine));
  }

  private ContainerIdmaps idmaps() {
    if (idmaps == null) {
      throw new IllegalStateException("no idmapped views here: user namespaces were not set up");
    }
    return idmaps;
  }

  private static String volumeKey(String id, int index) {
    return VOLUME_PREFIX + id + "-" + index;
  }

  /**
   * Unmounts and deletes the rootfs and its snapshot (when {@code snapshotKey} is set); safe to
   * repeat. Every step is tried even when one before it failed, so one stuck view does not keep
   * the rest mounted; the first failure is thrown at the end for the caller to retry.
   */
  public void remove(String id, String snapshotKey) {
    Path rootfs = path(id);
    List<Runnable> steps = new ArrayList<>();
    if (idmaps != null) {
      steps.add(() -> idmaps.remove(id)); // first: the views bind the rootfs and the image volumes
    }
    steps.add(() -> removeImageVolumes(id));
    steps.add(() -> {
      if (Files.exists(rootfs)) {
        mounter.unmount(rootfs);
      }
    });
    steps.add(() -> {
      if (snapshotKey != null && !snapshotKey.isEmpty()) {
        try {
          snapshots.remove(snapshotKey);
        } catch (SnapshotException.NotFound gone) {
          // removed before a crash
        }
      }
    });
    steps.add(() -> {
      try {
        Files.deleteIfExists(rootfs); // an empty mount point by now: rmdir never deletes content
      } catch (IOException e) {
        throw new UncheckedIOException("cannot remove rootfs mount point " + rootfs + ": " + e.getMessage(), e);
      }
    });
    RuntimeException first = null;
    for (Runnable step : steps) {
      try {
        step.run();
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /** Unmounts every image volume of container {@code id}, then drops their views and mount points. */
  private void removeImageVolumes(String id) {
    Path mine = volumes.resolve(id);
    try {
      if (Files.isDirectory(mine)) {
        List<Path> targets;
        try (Stream<Path> entries = Files.list(mine)) {
          targets = entries.toList();
        }
        targets.forEach(mounter::unmount);
      }
      List<String> keys = new ArrayList<>();
      String prefix = VOLUME_PREFIX + id + "-";
      snapshots.walk(s -> {
        if (s.key().startsWith(prefix)) {
          keys.add(s.key());
        }
      });
      for (String key : keys) {
        try {
          snapshots.remove(key);
        } catch (SnapshotException.NotFound gone) {
          // removed concurrently or before a crash
        }
      }
      if (Files.isDirectory(mine)) {
        try (Stream<Path> entries = Files.list(mine)) {
          for (Path target : entries.toList()) {
            Files.delete(target); // empty mount points by now: rmdir never deletes content
          }
        }
        Files.delete(mine);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove image volumes of " + id + ": " + e.getMessage(), e);
    }
  }
}
