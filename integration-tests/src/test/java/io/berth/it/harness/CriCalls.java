package io.berth.it.harness;

import io.berth.cri.client.CriClient;
import io.berth.proto.runtime.v1.AuthConfig;
import io.berth.proto.runtime.v1.Image;
import io.berth.proto.runtime.v1.ImageFilter;
import io.berth.proto.runtime.v1.ImageFsInfoRequest;
import io.berth.proto.runtime.v1.ImageFsInfoResponse;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.ImageStatusRequest;
import io.berth.proto.runtime.v1.ImageStatusResponse;
import io.berth.proto.runtime.v1.ListImagesRequest;
import io.berth.proto.runtime.v1.PullImageRequest;
import io.berth.proto.runtime.v1.RemoveImageRequest;
import java.util.List;

/** Short forms of the CRI image calls the tests and the benchmark make. */
public final class CriCalls {
  private static final long TIMEOUT = 120_000;

  private CriCalls() {}

  public static String pull(CriClient client, String image) {
    return pull(client, image, AuthConfig.getDefaultInstance());
  }

  public static String pull(CriClient client, String image, AuthConfig auth) {
    return client.images(TIMEOUT).pullImage(PullImageRequest.newBuilder()
        .setImage(ImageSpec.newBuilder().setImage(image)).setAuth(auth).build()).getImageRef();
  }

  public static ImageStatusResponse status(CriClient client, String image, boolean verbose) {
    return client.images(TIMEOUT).imageStatus(ImageStatusRequest.newBuilder()
        .setImage(ImageSpec.newBuilder().setImage(image)).setVerbose(verbose).build());
  }

  public static List<Image> list(CriClient client) {
    return client.images(TIMEOUT).listImages(ListImagesRequest.getDefaultInstance()).getImagesList();
  }

  public static List<Image> list(CriClient client, String filter) {
    return client.images(TIMEOUT).listImages(ListImagesRequest.newBuilder()
        .setFilter(ImageFilter.newBuilder().setImage(ImageSpec.newBuilder().setImage(filter))).build()).getImagesList();
  }

  public static void remove(CriClient client, String image) {
    client.images(TIMEOUT).removeImage(RemoveImageRequest.newBuilder()
        .setImage(ImageSpec.newBuilder().setImage(image)).build());
  }

  public static ImageFsInfoResponse fsInfo(CriClient client) {
    return client.images(TIMEOUT).imageFsInfo(ImageFsInfoRequest.getDefaultInstance());
  }
}
