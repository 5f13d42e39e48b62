package io.berth.cri.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.container.CreateContainerHandler;
import io.berth.cri.error.DeadlineExceededException;
import io.berth.image.oci.ImageConfig;
import io.berth.image.store.ImageRecord;
import io.berth.image.store.ImageStore;
import io.berth.oci.runtime.OciRuntimeException;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.ContainerMetadata;
import io.berth.proto.runtime.v1.CreateContainerRequest;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.RunPodSandboxRequest;
import io.berth.sys.Errno;
import io.grpc.Context;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CreateContainer undoes what it did when a step fails (the rootfs mount, the runtime's create)
 * or its caller left: no record, no reserved name, no snapshot but the image's, no mount, no
 * runtime container.
 */
class CreateContainerUndoTest {
  private static final String IMAGE_ID = "sha256:" + "a".repeat(64);
  private static final String BASE_CHAIN = "sha256:" + "b".repeat(64);
  @TempDir Path dir;
  Workload workload;
  CreateContainerHandler handler;
  String pod;
  List<String> before;

  @BeforeEach
  void wire() {
    workload = new Workload(dir);
    var snapshots = workload.snapshots();
    snapshots.prepare("extract-base", null);
    snapshots.commit(BASE_CHAIN, "extract-base");
    var images = new ImageStore(dir.resolve("root/images"), List.of());
    images.add(new ImageRecord(IMAGE_ID, List.of("example.test/app:1"), List.of(), 1, List.of(), List.of("l"),
        List.of(BASE_CHAIN), new ImageConfig("amd64", "linux", null, null,
            new ImageConfig.Runtime(null, List.of("PATH=/bin"), null, List.of("sleep", "1"), null, null, null, null,
                null), new ImageConfig.RootFs("layers", List.of("sha256:" + "c".repeat(64)))), false));
    handler = workload.createContainer(images);
    pod = workload.runPodSandbox(true).handle(RunPodSandboxRequest.newBuilder()
        .setConfig(Workload.pod("web")).build()).getPodSandboxId();
    before = workload.leftovers();
  }

  private CreateContainerRequest request(String name) {
    return CreateContainerRequest.newBuilder().setPodSandboxId(pod)
        .setConfig(ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName(name))
            .setImage(ImageSpec.newBuilder().setImage("example.test/app:1")))
        .setSandboxConfig(Workload.pod("web")).build();
  }

  private void assertNothingLeft() {
    assertThat(workload.leftovers()).isEqualTo(before);
    assertThat(workload.snapshotKeys()).containsExactly(BASE_CHAIN);
    assertThat(workload.containerNames.reserve("app_web_default_uid-web_0", "probe")).isEmpty();
  }

  @Test
  void aCreatedContainerHasItsRootfsAndRuntimeContainerUntilRemoved() {
    String id = handler.handle(request("app")).getContainerId();
    assertThat(workload.runtime.state(id)).hasValueSatisfying(s -> assertThat(s.status()).isEqualTo("created"));
    assertThat(workload.sys.mounts()).anyMatch(m -> m.contains(id));

    workload.remover.remove(id);
    assertNothingLeft();
  }

  @Test
  void failedRootfsMountIsUndone() {
    workload.sys.failWhen("mount", call -> "overlay".equals(call.arg(2)), Errno.EINVAL);
    workload.sys.failOn("mountOverlayLayerwise", Errno.EINVAL);
    assertThatThrownBy(() -> handler.handle(request("app"))).isNotNull();
    assertNothingLeft();
  }

  @Test
  void failedRuntimeCreateIsUndone() {
    workload.runtime.failNext("create", new OciRuntimeException("runc create: exec: \"sleep\": not found"));
    assertThatThrownBy(() -> handler.handle(request("app"))).hasMessageContaining("not found");
    assertNothingLeft();
  }

  @Test
  void aCallerThatLeftGetsNothingMadeAndNothingLeftBehind() {
    Context.CancellableContext call = Context.current().withCancellation();
    call.cancel(new IllegalStateException("deadline of 2 s passed"));
    assertThatThrownBy(() -> call.run(() -> handler.handle(request("app"))))
        .isInstanceOf(DeadlineExceededException.class).hasMessageContaining("the caller left (deadline of 2 s");
    assertThat(workload.runtime.state("app")).isEmpty();
    assertNothingLeft();
  }

  @Test
  void aNameInUseIsAlreadyExistsAndTouchesNothing() {
    handler.handle(request("app"));
    var afterFirst = workload.leftovers();
    assertThatThrownBy(() -> handler.handle(request("app"))).hasMessageContaining("is reserved for");
    assertThat(workload.leftovers()).isEqualTo(afterFirst);
  }
}
