package io.berth.cri.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.cri.container.ContainerStatusHandler;
import io.berth.cri.container.ListContainersHandler;
import io.berth.cri.image.ImageStatusHandler;
import io.berth.cri.image.ListImagesHandler;
import io.berth.image.oci.ImageConfig;
import io.berth.image.store.ImageRecord;
import io.berth.image.store.ImageStore;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.ContainerFilter;
import io.berth.proto.runtime.v1.ContainerMetadata;
import io.berth.proto.runtime.v1.ContainerStatusRequest;
import io.berth.proto.runtime.v1.CreateContainerRequest;
import io.berth.proto.runtime.v1.ImageFilter;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.ImageStatusRequest;
import io.berth.proto.runtime.v1.RunPodSandboxRequest;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KEP-2535 over the fakes: the image ID is one string in Image.id, Container.image_id and
 * ContainerStatus.image_id; the ImageSpec the kubelet sent (user_specified_image, runtime_handler,
 * annotations) comes back unchanged in Container.image and ContainerStatus.image, also from the
 * records a restarted berthd reads.
 */
class ImageIdentityTest {
  private static final String IMAGE_ID = "sha256:" + "a".repeat(64);
  private static final String BASE_CHAIN = "sha256:" + "b".repeat(64);
  private static final String MANIFEST = "sha256:" + "d".repeat(64);
  @TempDir Path dir;
  Workload workload;
  ImageStore images;
  String pod;

  @BeforeEach
  void wire() {
    workload = new Workload(dir);
    var snapshots = workload.snapshots();
    snapshots.prepare("extract-base", null);
    snapshots.commit(BASE_CHAIN, "extract-base");
    images = new ImageStore(dir.resolve("root/images"), List.of());
    images.add(new ImageRecord(IMAGE_ID, List.of("example.test/app:1"),
        List.of("example.test/app@" + MANIFEST, "mirror.test/team/app@" + MANIFEST), 1, List.of(MANIFEST),
        List.of("l"), List.of(BASE_CHAIN), new ImageConfig("amd64", "linux", null, null,
            new ImageConfig.Runtime(null, List.of("PATH=/bin"), null, List.of("sleep", "1"), null, null, null, null,
                null), new ImageConfig.RootFs("layers", List.of("sha256:" + "c".repeat(64)))), false));
    pod = workload.runPodSandbox(true).handle(RunPodSandboxRequest.newBuilder()
        .setConfig(Workload.pod("web")).build()).getPodSandboxId();
  }

  private String create(Workload on, String name, ImageSpec image) {
    var handler = on.createContainer(images);
    return handler.handle(CreateContainerRequest.newBuilder().setPodSandboxId(pod)
        .setConfig(ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName(name))
            .setImage(image))
        .setSandboxConfig(Workload.pod("web")).build()).getContainerId();
  }

  /** As the kubelet sends it: the image ID it got from PullImage, and what the pod spec said. */
  private static ImageSpec kubeletSpec(String userSpecified) {
    return ImageSpec.newBuilder().setImage(IMAGE_ID).setUserSpecifiedImage(userSpecified)
        .setRuntimeHandler("runc").putAnnotations("io.kubernetes.cri.image-annotation", "kept").build();
  }

  @Test
  void theIdIsOneStringAndTheSpecComesBackAsSent() {
    ImageSpec sent = kubeletSpec("mirror.test/team/app@" + MANIFEST);
    String id = create(workload, "app", sent);

    var listed = new ListImagesHandler(images).list(ImageFilter.getDefaultInstance());
    assertThat(listed).singleElement().satisfies(i -> assertThat(i.getId()).isEqualTo(IMAGE_ID));
    assertThat(new ImageStatusHandler(images).handle(ImageStatusRequest.newBuilder()
        .setImage(ImageSpec.newBuilder().setImage("example.test/app:1")).build()).getImage().getId())
        .isEqualTo(IMAGE_ID);

    var container = new ListContainersHandler(workload.containers)
        .list(ContainerFilter.newBuilder().setId(id).build());
    assertThat(container).singleElement().satisfies(c -> {
      assertThat(c.getImageId()).isEqualTo(IMAGE_ID);
      assertThat(c.getImage()).isEqualTo(sent);
      assertThat(c.getImageRef()).as("the digest in the repository the user named")
          .isEqualTo("mirror.test/team/app@" + MANIFEST);
    });
    var status = new ContainerStatusHandler(workload.containers, workload.runtimes, workload.exits)
        .handle(ContainerStatusRequest.newBuilder().setContainerId(id).build()).getStatus();
    assertThat(status.getImageId()).isEqualTo(IMAGE_ID);
    assertThat(status.getImage()).isEqualTo(sent);
    assertThat(status.getImageRef()).isEqualTo("mirror.test/team/app@" + MANIFEST);
  }

  @Test
  void aRestartedBerthdReadsTheSameFromTheRecords() {
    ImageSpec sent = kubeletSpec("example.test/app:1");
    String id = create(workload, "app", sent);
    Workload after = new Workload(dir, workload.runtime);
    after.recovery().run();

    var container = new ListContainersHandler(after.containers)
        .list(ContainerFilter.getDefaultInstance());
    assertThat(container).singleElement().satisfies(c -> {
      assertThat(c.getId()).isEqualTo(id);
      assertThat(c.getImage()).isEqualTo(sent);
      assertThat(c.getImageId()).isEqualTo(IMAGE_ID);
      assertThat(c.getImageRef()).isEqualTo("example.test/app@" + MANIFEST);
    });
    var status = new ContainerStatusHandler(after.containers, after.runtimes, after.exits)
        .handle(ContainerStatusRequest.newBuilder().setContainerId(id).build()).getStatus();
    assertThat(status.getImage()).isEqualTo(sent);
    assertThat(status.getImageId()).isEqualTo(IMAGE_ID);
    assertThat(new ImageStore(dir.resolve("root/images"), List.of()).find(IMAGE_ID))
        .hasValueSatisfying(i -> assertThat(i.id()).isEqualTo(IMAGE_ID));
  }

  @Test
  void aTagAsCritestSendsItStaysTheTagInTheContainer() {
    ImageSpec sent = ImageSpec.newBuilder().setImage("example.test/app:1").build();
    String id = create(workload, "app", sent);
    var c = new ListContainersHandler(workload.containers).list(ContainerFilter.getDefaultInstance());
    assertThat(c).singleElement().satisfies(container -> {
      assertThat(container.getId()).isEqualTo(id);
      assertThat(container.getImage()).isEqualTo(sent);
      assertThat(container.getImageId()).isEqualTo(IMAGE_ID);
      assertThat(container.getImageRef()).isEqualTo("example.test/app@" + MANIFEST);
    });
  }
}
