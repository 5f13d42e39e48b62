package io.berth.image.store;

import io.berth.image.content.ContentStore;
import io.berth.image.ref.Digest;
import io.berth.snapshot.SnapshotException;
import io.berth.snapshot.SnapshotInfo;
import io.berth.snapshot.Snapshotter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes what no image references: committed snapshots (leaves first; a snapshot that is the
 * parent of a container's writable layer stays until that container is gone) and blobs. Runs
 * under the write side of the pull lock, so no pull is between downloading and recording.
 */
public final class ImageGarbageCollector {
  private static final Logger log = LoggerFactory.getLogger(ImageGarbageCollector.class);

  /** What one collection freed. */
  public record Result(int snapshotsRemoved, int blobsRemoved, long bytesFreed) {}

  private final ImageStore images;
  private final ContentStore content;
  private final Snapshotter snapshots;
  private final ReadWriteLock gcLock;

  public ImageGarbageCollector(ImageStore images, ContentStore content, Snapshotter snapshots, ReadWriteLock gcLock) {
    this.images = images;
    this.content = content;
    this.snapshots = snapshots;
    this.gcLock = gcLock;
  }

  public Result collect() {
    gcLock.writeLock().lock();
    try {
      Set<String> chains = new HashSet<>();
      Set<String> blobs = new HashSet<>();
      for (ImageRecord image : images.list()) {
        chains.addAll(image.chainIds());
        blobs.add(image.id());
        blobs.addAll(image.layers());
        blobs.addAll(image.manifests());
      }
      int removedSnapshots = removeSnapshots(chains);
      int removedBlobs = 0;
      long before = content.usedBytes();
      for (Digest blob : content.list()) {
        if (!blobs.contains(blob.toString())) {
          content.delete(blob);
          removedBlobs++;
        }
      }
      Result result = new Result(removedSnapshots, removedBlobs, before - content.usedBytes());
      if (removedSnapshots + removedBlobs > 0) {
        log.info("image gc snapshots_removed={} blobs_removed={} bytes_freed={}", result.snapshotsRemoved(),
            result.blobsRemoved(), result.bytesFreed());
      }
      return result;
    } finally {
      gcLock.writeLock().unlock();
    }
  }

  private int removeSnapshots(Set<String> referenced) {
    int removed = 0;
    boolean progress = true;
    while (progress) {
      progress = false;
      List<SnapshotInfo> all = new ArrayList<>();
      snapshots.walk(all::add);
      Set<String> parents = new HashSet<>();
      all.forEach(s -> {
        if (s.parent() != null) {
          parents.add(s.parent());
        }
      });
      for (SnapshotInfo s : all) {
        if (s.kind() == SnapshotInfo.Kind.COMMITTED && !referenced.contains(s.key()) && !parents.contains(s.key())) {
          try {
            snapshots.remove(s.key());
            removed++;
            progress = true;
          } catch (SnapshotException e) {
            log.debug("image gc kept snapshot key={} reason={}", s.key(), e.getMessage());
          }
        }
      }
    }
    return removed;
  }
}
