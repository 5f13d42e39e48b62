package io.berth.cri.image;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.metrics.ImageMetrics;
import io.berth.image.pull.ImagePuller;
import io.berth.image.ref.Digest;
import io.berth.image.registry.Credentials;
import io.berth.image.store.ImageRecord;
import io.berth.proto.runtime.v1.AuthConfig;
import io.berth.proto.runtime.v1.PullImageRequest;
import io.berth.proto.runtime.v1.PullImageResponse;
import java.util.Set;

/**
 * Handles PullImage: pulls the reference with the request's credentials; returns the image ID.
 * Images are shared by every runtime handler, but one the node does not have is refused, as
 * RunPodSandbox refuses it, rather than pulled for a pod that could never run.
 */
public final class PullImageHandler {
  private final ImagePuller puller;
  private final ImageMetrics metrics;
  private final Set<String> runtimeHandlers;

  public PullImageHandler(ImagePuller puller, ImageMetrics metrics, Set<String> runtimeHandlers) {
    this.puller = puller;
    this.metrics = metrics;
    this.runtimeHandlers = Set.copyOf(runtimeHandlers);
  }

  public PullImageResponse handle(PullImageRequest request) {
    String reference = request.getImage().getImage();
    if (reference.isEmpty()) {
      throw new InvalidArgumentException("PullImage needs image.image, the reference to pull");
    }
    String handler = request.getImage().getRuntimeHandler();
    if (!handler.isEmpty() && !runtimeHandlers.contains(handler)) {
      throw new InvalidArgumentException("runtime handler '" + handler + "' is not configured (configured: "
          + runtimeHandlers.stream().sorted().toList() + ")");
    }
    if (Digest.looksLikeDigest(reference)) {
      throw new InvalidArgumentException("cannot pull '" + reference + "': an image ID names no registry");
    }
    AuthConfig auth = request.getAuth();
    Credentials credentials = Credentials.of(auth.getUsername(), auth.getPassword(), auth.getAuth(),
        auth.getIdentityToken(), auth.getRegistryToken());
    long start = System.nanoTime();
    ImageRecord image;
    try {
      image = puller.pull(reference, credentials);
    } catch (RuntimeException e) {
      metrics.pull(System.nanoTime() - start, false, 0);
      throw e;
    }
    metrics.pull(System.nanoTime() - start, true, image.size());
    return PullImageResponse.newBuilder().setImageRef(image.id()).build();
  }
}
