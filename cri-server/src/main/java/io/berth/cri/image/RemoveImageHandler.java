package io.berth.cri.image;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.metrics.ImageMetrics;
import io.berth.image.store.ImageGarbageCollector;
import io.berth.image.store.ImageStore;
import io.berth.proto.runtime.v1.RemoveImageRequest;
import io.berth.proto.runtime.v1.RemoveImageResponse;

/**
 * Handles RemoveImage: an ID removes the image and all its names; a tag or repo digest removes
 * that name, and the image with its last one. Removing what is not there succeeds (idempotent).
 * Once an image goes, the collector deletes the blobs and snapshots nothing else references;
 * layers under a container's writable layer stay until that container is removed.
 */
public final class RemoveImageHandler {
  private final ImageStore images;
  private final ImageGarbageCollector collector;

  private final ImageMetrics metrics;

  public RemoveImageHandler(ImageStore images, ImageGarbageCollector collector, ImageMetrics metrics) {
    this.metrics = metrics;
    this.images = images;
    this.collector = collector;
  }

  public RemoveImageResponse handle(RemoveImageRequest request) {
    String name = request.getImage().getImage();
    if (name.isEmpty()) {
      throw new InvalidArgumentException("RemoveImage needs image.image, a reference or an image ID");
    }
    if (images.remove(name) == ImageStore.Removal.IMAGE_REMOVED) {
      metrics.gc(collector.collect().bytesFreed());
    }
    return RemoveImageResponse.getDefaultInstance();
  }
}
