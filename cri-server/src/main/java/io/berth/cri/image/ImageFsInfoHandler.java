package io.berth.cri.image;

import io.berth.image.content.ContentStore;
import io.berth.proto.runtime.v1.FilesystemIdentifier;
import io.berth.proto.runtime.v1.FilesystemUsage;
import io.berth.proto.runtime.v1.ImageFsInfoRequest;
import io.berth.proto.runtime.v1.ImageFsInfoResponse;
import io.berth.proto.runtime.v1.UInt64Value;
import io.berth.snapshot.SnapshotInfo;
import io.berth.snapshot.Snapshotter;
import io.berth.snapshot.Usage;
import java.nio.file.Path;

/**
 * Handles ImageFsInfo from tracked usage (no tree walk per call): the image filesystem is the
 * content store plus committed snapshots; the container filesystem is the writable layers.
 */
public final class ImageFsInfoHandler {
  private final ContentStore content;
  private final Snapshotter snapshots;
  private final Path root;

  public ImageFsInfoHandler(ContentStore content, Snapshotter snapshots, Path root) {
    this.content = content;
    this.snapshots = snapshots;
    this.root = root;
  }

  public ImageFsInfoResponse handle(ImageFsInfoRequest request) {
    Usage[] committed = {Usage.ZERO};
    Usage[] active = {Usage.ZERO};
    snapshots.walk(info -> {
      Usage usage = snapshots.usage(info.key());
      if (info.kind() == SnapshotInfo.Kind.COMMITTED) {
        committed[0] = committed[0].plus(usage);
      } else {
        active[0] = active[0].plus(usage);
      }
    });
    long now = System.currentTimeMillis() * 1_000_000L;
    return ImageFsInfoResponse.newBuilder()
        .addImageFilesystems(usage(now, root.toString(),
            content.usedBytes() + committed[0].bytes(), content.blobCount() + committed[0].inodes()))
        .addContainerFilesystems(usage(now, root.resolve("snapshots").toString(),
            active[0].bytes(), active[0].inodes()))
        .build();
  }

  private static FilesystemUsage usage(long timestamp, String mountpoint, long bytes, long inodes) {
    return FilesystemUsage.newBuilder()
        .setTimestamp(timestamp)
        .setFsId(FilesystemIdentifier.newBuilder().setMountpoint(mountpoint))
        .setUsedBytes(UInt64Value.newBuilder().setValue(bytes))
        .setInodesUsed(UInt64Value.newBuilder().setValue(inodes))
        .build();
  }
}
