package io.berth.cri.image;

import io.berth.image.content.ContentStore;
import io.berth.proto.runtime.v1.FilesystemIdentifier;
import io.berth.proto.runtime.v1.FilesystemUsage;
import io.berth.proto.runtime.v1.ImageFsInfoRequest;
import io.berth.proto.runtime.v1.ImageFsInfoResponse;
import io.berth.proto.runtime.v1.UInt64Value;
import io.berth.snapshot.Usage;
import io.berth.snapshot.overlay.OverlaySnapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Handles ImageFsInfo from tracked usage (no tree walk per call): the image filesystem is the
 * content store plus image layers (and unpacks in progress); the container filesystem is the
 * containers' writable layers. The kubelet treats the two as split (KEP-4191: separate disk
 * pressure and GC) exactly when their mountpoint strings differ, so the container filesystem is
 * named by the container root only when that is on another device than the root; otherwise both
 * carry the root's mountpoint.
 */
public final class ImageFsInfoHandler {
  private final ContentStore content;
  private final OverlaySnapshotter snapshots;
  private final Path root;
  private final Path containerRoot;
  private final DeviceOf deviceOf;

  /** The device a path lives on (st_dev). */
  @FunctionalInterface
  interface DeviceOf {
    Object device(Path path) throws IOException;
  }

  /** {@code containerRoot}: where writable layers live, {@code root} itself when not configured apart. */
  public ImageFsInfoHandler(ContentStore content, OverlaySnapshotter snapshots, Path root, Path containerRoot) {
    this(content, snapshots, root, containerRoot, path -> Files.getAttribute(path, "unix:dev"));
  }

  ImageFsInfoHandler(ContentStore content, OverlaySnapshotter snapshots, Path root, Path containerRoot,
      DeviceOf deviceOf) {
    this.content = content;
    this.snapshots = snapshots;
    this.root = root;
    this.containerRoot = containerRoot;
    this.deviceOf = deviceOf;
  }

  public ImageFsInfoResponse handle(ImageFsInfoRequest request) {
    Usage images = snapshots.imageUsage();
    Usage containers = snapshots.containerUsage();
    long now = System.currentTimeMillis() * 1_000_000L;
    Path containerMountpoint = onOtherDevice() ? containerRoot : root;
    return ImageFsInfoResponse.newBuilder()
        .addImageFilesystems(usage(now, root.toString(),
            content.usedBytes() + images.bytes(), content.blobCount() + images.inodes()))
        .addContainerFilesystems(usage(now, containerMountpoint.toString(), containers.bytes(), containers.inodes()))
        .build();
  }

  /** Read per call: the container root's filesystem may be mounted (or unmounted) while berthd runs. */
  private boolean onOtherDevice() {
    if (containerRoot.equals(root)) {
      return false;
    }
    try {
      return !Objects.equals(deviceOf.device(root), deviceOf.device(containerRoot));
    } catch (IOException | UnsupportedOperationException e) {
      return true; // configured apart but not stat-able: name it, as the operator asked
    }
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
