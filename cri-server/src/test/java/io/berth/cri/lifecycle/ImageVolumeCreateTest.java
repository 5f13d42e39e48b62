package io.berth.cri.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.container.CreateContainerHandler;
import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.error.NotFoundException;
import io.berth.image.oci.ImageConfig;
import io.berth.image.store.ImageRecord;
import io.berth.image.store.ImageStore;
import io.berth.oci.runtime.OciRuntimeException;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.ContainerMetadata;
import io.berth.proto.runtime.v1.CreateContainerRequest;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.Mount;
import io.berth.proto.runtime.v1.RunPodSandboxRequest;
import io.berth.proto.state.v1.Phase;
import io.berth.sys.Errno;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CreateContainer with image volumes: a read-only overlay of the volume image's layers (top layer
 * first) under the state directory, bound read-only into the spec, removed with the container and
 * undone when a later step fails; a missing image is NOT_FOUND before anything is made.
 */
class ImageVolumeCreateTest {
  private static final String APP_ID = "sha256:" + "a".repeat(64);
  private static final String APP_CHAIN = "sha256:" + "b".repeat(64);
  private static final String VOL_ID = "sha256:" + "d".repeat(64);
  private static final String VOL_BASE = "sha256:" + "e".repeat(64);
  private static final String VOL_TOP = "sha256:" + "f".repeat(64);
  @TempDir Path dir;
  Workload workload;
  CreateContainerHandler handler;
  String pod;
  List<String> before;
  List<String> keysBefore;

  @BeforeEach
  void wire() {
    workload = new Workload(dir);
    var snapshots = workload.snapshots();
    snapshots.prepare("extract-app", null);
    snapshots.commit(APP_CHAIN, "extract-app");
    snapshots.prepare("extract-base", null);
    snapshots.commit(VOL_BASE, "extract-base");
    snapshots.prepare("extract-top", VOL_BASE);
    snapshots.commit(VOL_TOP, "extract-top");
    var images = new ImageStore(dir.resolve("root/images"), List.of());
    images.add(image(APP_ID, "example.test/app:1", List.of(APP_CHAIN)));
    images.add(image(VOL_ID, "example.test/vol:1", List.of(VOL_BASE, VOL_TOP)));
    handler = workload.createContainer(images);
    pod = workload.runPodSandbox(true).handle(RunPodSandboxRequest.newBuilder()
        .setConfig(Workload.pod("web")).build()).getPodSandboxId();
    before = workload.leftovers();
    keysBefore = workload.snapshotKeys();
  }

  private static ImageRecord image(String id, String name, List<String> chains) {
    return new ImageRecord(id, List.of(name), List.of(), 1, List.of(), chains.stream().map(c -> "l").toList(),
        chains, new ImageConfig("amd64", "linux", null, null,
            new ImageConfig.Runtime(null, List.of("PATH=/bin"), null, List.of("sleep", "1"), null, null, null, null,
                null), new ImageConfig.RootFs("layers", chains)), false);
  }

  private CreateContainerRequest request(Mount volume) {
    return request("app", volume);
  }

  private CreateContainerRequest request(String name, Mount volume) {
    return CreateContainerRequest.newBuilder().setPodSandboxId(pod)
        .setConfig(ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName(name))
            .setImage(ImageSpec.newBuilder().setImage("example.test/app:1")).addMounts(volume))
        .setSandboxConfig(Workload.pod("web")).build();
  }

  private static Mount volume(String image, String subPath) {
    return Mount.newBuilder().setContainerPath("/vol").setImage(ImageSpec.newBuilder().setImage(image))
        .setImageSubPath(subPath).build();
  }

  private List<String> volumeDirs() throws IOException {
    Path volumes = dir.resolve("state/image-volumes");
    if (!Files.isDirectory(volumes)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.walk(volumes)) {
      return entries.filter(p -> !p.equals(volumes)).map(Path::toString).toList();
    }
  }

  private void assertNothingLeft() throws IOException {
    assertThat(workload.leftovers()).isEqualTo(before);
    assertThat(workload.snapshotKeys()).containsExactlyInAnyOrderElementsOf(keysBefore);
    assertThat(volumeDirs()).isEmpty();
  }

  @Test
  void theVolumeIsAReadOnlyOverlayOfTheLayersBoundReadOnlyUntilRemoved() throws IOException {
    String id = handler.handle(request(volume("example.test/vol:1", ""))).getContainerId();

    Path target = dir.resolve("state/image-volumes").resolve(id).resolve("0");
    assertThat(workload.sys.mounts()).contains(target.toString());
    var overlay = workload.sys.calls("mount").stream().filter(c -> target.toString().equals(c.arg(1))).findFirst()
        .orElseThrow();
    assertThat(overlay.arg(2)).isEqualTo("overlay");
    String data = (String) overlay.arg(4);
    assertThat(data).as("lower dirs only, no upper: a read-only view").startsWith("lowerdir=")
        .doesNotContain("upperdir");
    assertThat(data.split(":")).as("top layer first, so its whiteouts hide the base's files").hasSize(2);
    assertThat(workload.snapshotKeys()).contains("imgvol-" + id + "-0");
    var bind = workload.runtime.containers().get(id).request().spec().mounts().stream()
        .filter(m -> m.destination().equals("/vol")).findFirst().orElseThrow();
    assertThat(bind.source()).isEqualTo(target.toString());
    assertThat(bind.options()).contains("ro");
    assertThat(workload.containers.find(id).orElseThrow().getConfig().getMounts(0).getImage().getImage())
        .as("ContainerStatus.mounts reports the volume as the kubelet sent it").isEqualTo("example.test/vol:1");

    workload.remover.remove(id);
    assertNothingLeft();
  }

  @Test
  void aMissingImageIsNotFoundNamingItAndTouchesNothing() throws IOException {
    assertThatThrownBy(() -> handler.handle(request(volume("example.test/never-pulled:1", ""))))
        .isInstanceOf(NotFoundException.class).hasMessageContaining("example.test/never-pulled:1");
    assertNothingLeft();
  }

  @Test
  void anEscapingSubPathIsInvalidAndUndone() throws IOException {
    assertThatThrownBy(() -> handler.handle(request(volume("example.test/vol:1", "../../etc"))))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("'../../etc'");
    assertNothingLeft();
  }

  @Test
  void aFailedRuntimeCreateUnmountsTheVolume() throws IOException {
    workload.runtime.failNext("create", new OciRuntimeException("runc create: exec: \"sleep\": not found"));
    assertThatThrownBy(() -> handler.handle(request(volume("example.test/vol:1", "")))).isNotNull();
    assertNothingLeft();
  }

  @Test
  void aFailedVolumeMountIsUndone() throws IOException {
    workload.sys.failWhen("mount", call -> String.valueOf(call.arg(1)).contains("image-volumes"), Errno.EINVAL);
    assertThatThrownBy(() -> handler.handle(request(volume("example.test/vol:1", "")))).isNotNull();
    assertNothingLeft();
  }

  @Test
  void recoveryKeepsACreatedContainersVolumeAndDestroysAHalfCreatedOnes() throws IOException {
    String kept = handler.handle(request("kept", volume("example.test/vol:1", ""))).getContainerId();
    String crashed = handler.handle(request("crashed", volume("example.test/vol:1", ""))).getContainerId();
    // berthd died between the volume's mount and the runtime's create: the record says CREATING.
    workload.containers.put(workload.containers.find(crashed).orElseThrow().toBuilder()
        .setPhase(Phase.CREATING).build());

    Workload after = new Workload(dir, workload.runtime);
    after.recovery().run();

    assertThat(after.snapshotKeys()).contains("imgvol-" + kept + "-0").doesNotContain("imgvol-" + crashed + "-0");
    assertThat(volumeDirs()).contains(dir.resolve("state/image-volumes").resolve(kept).toString())
        .noneMatch(d -> d.contains(crashed));
    after.remover.remove(kept);
    assertThat(after.snapshotKeys()).containsExactlyInAnyOrderElementsOf(keysBefore);
    assertThat(volumeDirs()).isEmpty();
  }
}
