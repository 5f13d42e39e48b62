package io.berth.cri.image;

import io.berth.image.store.ImageStore;
import io.berth.proto.runtime.v1.Image;
import io.berth.proto.runtime.v1.ImageFilter;
import io.berth.proto.runtime.v1.ListImagesRequest;
import io.berth.proto.runtime.v1.ListImagesResponse;
import java.util.List;

/** Handles ListImages: every image, or the one the filter's reference or ID names. */
public final class ListImagesHandler {
  private final ImageStore images;

  public ListImagesHandler(ImageStore images) {
    this.images = images;
  }

  public ListImagesResponse handle(ListImagesRequest request) {
    return ListImagesResponse.newBuilder().addAllImages(list(request.getFilter())).build();
  }

  /** The images {@code filter} selects: ListImages' items, StreamImages' batches. */
  public List<Image> list(ImageFilter filter) {
    String name = filter.getImage().getImage();
    if (name.isEmpty()) {
      return images.list().stream().map(ImageProtos::toProto).toList();
    }
    return images.find(name).map(ImageProtos::toProto).stream().toList();
  }
}
