package io.berth.cri.image;

import io.berth.image.store.ImageStore;
import io.berth.proto.runtime.v1.ListImagesRequest;
import io.berth.proto.runtime.v1.ListImagesResponse;

/** Handles ListImages: every image, or the one the filter's reference or ID names. */
public final class ListImagesHandler {
  private final ImageStore images;

  public ListImagesHandler(ImageStore images) {
    this.images = images;
  }

  public ListImagesResponse handle(ListImagesRequest request) {
    ListImagesResponse.Builder response = ListImagesResponse.newBuilder();
    String filter = request.hasFilter() ? request.getFilter().getImage().getImage() : "";
    if (filter.isEmpty()) {
      images.list().forEach(image -> response.addImages(ImageProtos.toProto(image)));
    } else {
      images.find(filter).ifPresent(image -> response.addImages(ImageProtos.toProto(image)));
    }
    return response.build();
  }
}
