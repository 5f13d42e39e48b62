package io.berth.cri.spec;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.Mount;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A container config's image volumes (KEP-4639, {@code Mount.image}): which mounts name an image,
 * and the config the OCI spec is built from once berthd has mounted each image's read-only view,
 * where such a mount is a read-only bind of that view (or of its {@code image_sub_path}).
 */
public final class ImageVolumes {
  /** Mount number {@code index} of the config asks for {@code image}, at {@code subPath} ("" for its root). */
  public record Volume(int index, String containerPath, String image, String subPath) {}

  private ImageVolumes() {}

  /** The image volumes of {@code config}, in mount order; INVALID_ARGUMENT for a half-made one. */
  public static List<Volume> of(ContainerConfig config) {
    List<Volume> volumes = new ArrayList<>();
    for (int i = 0; i < config.getMountsCount(); i++) {
      Mount m = config.getMounts(i);
      if (!m.hasImage() || m.getImage().getImage().isEmpty()) {
        if (!m.getImageSubPath().isEmpty()) {
          throw new InvalidArgumentException("mount " + m.getContainerPath() + ": image_sub_path '"
              + m.getImageSubPath() + "' without an image");
        }
        continue;
      }
      if (!m.getHostPath().isEmpty()) {
        throw new InvalidArgumentException("mount " + m.getContainerPath() + ": both host_path '" + m.getHostPath()
            + "' and image " + m.getImage().getImage());
      }
      volumes.add(new Volume(i, m.getContainerPath(), m.getImage().getImage(), m.getImageSubPath()));
    }
    return volumes;
  }

  /**
   * {@code config} with each image mount turned into a read-only bind of its source on the host
   * ({@code sources} by mount index); the record keeps the config as the kubelet sent it.
   */
  public static ContainerConfig withSources(ContainerConfig config, Map<Integer, Path> sources) {
    if (sources.isEmpty()) {
      return config;
    }
    ContainerConfig.Builder builder = config.toBuilder();
    sources.forEach((index, source) -> builder.setMounts(index, config.getMounts(index).toBuilder()
        .setHostPath(source.toString()).setReadonly(true).clearImage().clearImageSubPath()));
    return builder.build();
  }
}
