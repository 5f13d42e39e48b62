package io.berth.cri.image;

import io.berth.image.store.ImageRecord;
import io.berth.image.store.ImageStore;
import io.berth.proto.runtime.v1.ImageStatusRequest;
import io.berth.proto.runtime.v1.ImageStatusResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.ObjectMapper;

/**
 * Handles ImageStatus: an absent image is an empty response, not an error (the kubelet's
 * IfNotPresent relies on it); {@code verbose} adds the image config and chain IDs as JSON.
 */
public final class ImageStatusHandler {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ImageStore images;

  public ImageStatusHandler(ImageStore images) {
    this.images = images;
  }

  public ImageStatusResponse handle(ImageStatusRequest request) {
    Optional<ImageRecord> found = images.find(request.getImage().getImage());
    if (found.isEmpty()) {
      return ImageStatusResponse.getDefaultInstance();
    }
    ImageRecord image = found.get();
    ImageStatusResponse.Builder response = ImageStatusResponse.newBuilder().setImage(ImageProtos.toProto(image));
    if (request.getVerbose()) {
      Map<String, Object> info = new LinkedHashMap<>();
      info.put("id", image.id());
      info.put("imageSpec", image.config());
      info.put("chainIds", image.chainIds());
      info.put("layers", image.layers());
      info.put("manifests", image.manifests());
      response.putInfo("info", JSON.writeValueAsString(info));
    }
    return response.build();
  }
}
