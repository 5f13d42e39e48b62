package io.berth.cri.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.Mount;
import io.berth.proto.runtime.v1.MountPropagation;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which mounts are image volumes, and the read-only binds the spec gets for them. */
class ImageVolumesTest {
  private static final Mount HOST = Mount.newBuilder().setContainerPath("/data").setHostPath("/srv/data").build();
  private static final Mount IMAGE = Mount.newBuilder().setContainerPath("/models")
      .setImage(ImageSpec.newBuilder().setImage("example.test/models:1")).setImageSubPath("weights")
      .setPropagation(MountPropagation.PROPAGATION_PRIVATE).build();

  @Test
  void imageMountsAreFoundByIndexAndHostMountsLeftAlone() {
    var config = ContainerConfig.newBuilder().addMounts(HOST).addMounts(IMAGE).build();
    assertThat(ImageVolumes.of(config))
        .containsExactly(new ImageVolumes.Volume(1, "/models", "example.test/models:1", "weights"));
    assertThat(ImageVolumes.of(ContainerConfig.newBuilder().addMounts(HOST).build())).isEmpty();
  }

  @Test
  void theSpecGetsAReadOnlyBindOfTheSourceAndTheOtherMountsUnchanged() {
    var config = ContainerConfig.newBuilder().addMounts(HOST).addMounts(IMAGE).build();
    var built = ImageVolumes.withSources(config, Map.of(1, Path.of("/run/berth/image-volumes/c1/1/weights")));
    assertThat(built.getMounts(0)).isEqualTo(HOST);
    Mount bind = built.getMounts(1);
    assertThat(bind.getHostPath()).isEqualTo("/run/berth/image-volumes/c1/1/weights");
    assertThat(bind.getContainerPath()).isEqualTo("/models");
    assertThat(bind.getReadonly()).as("an image volume is always read-only").isTrue();
    assertThat(bind.hasImage()).isFalse();
    assertThat(bind.getImageSubPath()).isEmpty();
    assertThat(ImageVolumes.withSources(config, Map.of())).isSameAs(config);
  }

  @Test
  void halfMadeImageMountsAreInvalid() {
    assertThatThrownBy(() -> ImageVolumes.of(ContainerConfig.newBuilder().addMounts(
        HOST.toBuilder().setImageSubPath("x")).build())).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("image_sub_path 'x' without an image");
    assertThatThrownBy(() -> ImageVolumes.of(ContainerConfig.newBuilder().addMounts(
        IMAGE.toBuilder().setHostPath("/srv")).build())).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("both host_path '/srv' and image example.test/models:1");
    assertThat(ImageVolumes.of(ContainerConfig.newBuilder().addAllMounts(List.of(HOST)).build())).isEmpty();
  }
}
