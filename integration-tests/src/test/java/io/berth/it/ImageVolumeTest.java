package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.client.CriClient;
import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.HostTraces;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.ExecSyncRequest;
import io.berth.proto.runtime.v1.ExecSyncResponse;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.Mount;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.RemoveContainerRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image volumes (KEP-4639) on a real berthd: the multi-layer fixture (whiteouts, an opaque
 * directory, links) mounted read-only into a busybox container, whole and by image_sub_path;
 * missing images and escaping sub paths refused; nothing left after RemoveContainer, also when
 * berthd restarted in between.
 */
class ImageVolumeTest {
  @TempDir static Path shared;
  static Registry registry;
  static BerthdProcess berthd;
  static String busybox;
  static String multilayer;

  @BeforeAll
  static void start() {
    registry = Registry.start(shared.resolve("registry"));
    FixtureImages.get().pushAll(registry);
    berthd = BerthdProcess.start(shared.resolve("berthd"), "");
    busybox = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
    multilayer = registry.host() + "/" + FixtureImages.MULTILAYER_REPO + ":" + FixtureImages.TAG;
    CriCalls.pull(berthd.client(), busybox);
  }

  @AfterAll
  static void stopAll() {
    if (berthd != null) {
      Pods.removeAll(berthd.client());
      assertThat(HostTraces.of(berthd)).as("host traces after every pod is removed").isEmpty();
      assertThat(volumeTraces(berthd)).isEmpty();
      berthd.close();
    }
    registry.close();
  }

  private static Mount volume(String containerPath, String image, String subPath) {
    return Mount.newBuilder().setContainerPath(containerPath).setReadonly(true)
        .setImage(ImageSpec.newBuilder().setImage(image)).setImageSubPath(subPath).build();
  }

  @Test
  void theVolumeShowsTheImagesLayersWithTheirWhiteoutsReadOnly() throws IOException {
    CriClient client = berthd.client();
    CriCalls.pull(client, multilayer);
    String id = run(client, "whole", Pods.containerConfig("app", busybox, "sleep", "600")
        .addMounts(volume("/vol", multilayer, ""))
        .addMounts(volume("/opaque", multilayer, "data/opaque"))
        .addMounts(volume("/release", multilayer, "data/absolute-link")));

    assertThat(out(client, id, "cat /vol/data/layer-3.txt")).isEqualTo("written by the uncompressed layer\n");
    assertThat(out(client, id, "cat /vol/data/keep/original")).isEqualTo("rewritten in layer 2\n");
    assertThat(out(client, id, "cat /vol/data/added-in-layer-2")).isEqualTo("new in layer 2\n");
    assertThat(out(client, id, "test -e /vol/data/file-to-delete || echo whited-out"))
        .as("the middle layer's whiteout hides the base layer's file").isEqualTo("whited-out\n");
    assertThat(out(client, id, "test -e /vol/data/gone-dir || echo whited-out")).isEqualTo("whited-out\n");
    assertThat(out(client, id, "ls /opaque")).as("the opaque directory keeps only layer 2's file")
        .isEqualTo("c.txt\n");
    assertThat(out(client, id, "cat /release"))
        .as("an absolute link in the image resolves inside the image, not to the host's /etc/os-release")
        .isEqualTo("NAME=berth-fixture\n");
    for (String path : List.of("/vol/new", "/vol/data/layer-3.txt", "/opaque/new")) {
      ExecSyncResponse write = exec(client, id, "echo x > " + path);
      assertThat(write.getExitCode()).as("writing " + path).isNotZero();
      assertThat(write.getStderr().toStringUtf8()).contains("Read-only file system");
    }
    assertThat(Pods.status(client, id).getMountsList()).as("ContainerStatus.mounts reports the image volumes")
        .anySatisfy(m -> {
          assertThat(m.getContainerPath()).isEqualTo("/opaque");
          assertThat(m.getImage().getImage()).isEqualTo(multilayer);
          assertThat(m.getImageSubPath()).isEqualTo("data/opaque");
        });
    assertThat(volumeTraces(berthd)).anyMatch(t -> t.contains(id));

    // As for an image a container runs (berth answers as containerd): the name goes, the layers stay
    // under the mounted view until the container is removed.
    CriCalls.remove(client, multilayer);
    assertThat(CriCalls.status(client, multilayer, false).hasImage()).isFalse();
    assertThat(out(client, id, "cat /vol/data/layer-3.txt")).isEqualTo("written by the uncompressed layer\n");

    remove(client, id);
    assertThat(volumeTraces(berthd)).as("no mount and no directory left").isEmpty();
  }

  @Test
  void missingImagesAreNotFoundAndEscapingSubPathsInvalid() {
    CriClient client = berthd.client();
    CriCalls.pull(client, multilayer);
    PodSandboxConfig pod = Pods.podConfig("refused", shared.resolve("logs/refused")).build();
    String podId = Pods.runPod(client, pod);
    String never = registry.host() + "/berth/never-pulled:1";
    assertThatThrownBy(() -> Pods.create(client, podId, pod, Pods.containerConfig("app", busybox, "sleep", "600")
        .addMounts(volume("/vol", never, "")).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
          assertThat(e.getStatus().getDescription()).contains(never);
        });
    for (String subPath : List.of("../../etc", "data/../../etc", "data/missing", "/etc")) {
      assertThatThrownBy(() -> Pods.create(client, podId, pod, Pods.containerConfig("app", busybox, "sleep", "600")
          .addMounts(volume("/vol", multilayer, subPath)).build()))
          .as(subPath).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).contains("'" + subPath + "'");
          });
    }
    assertThat(volumeTraces(berthd)).as("a refused create leaves no view mounted").isEmpty();
  }

  @Test
  void theVolumeSurvivesABerthdRestartAndGoesWithTheContainer() {
    Path dir = shared.resolve("restarting");
    BerthdProcess first = BerthdProcess.start(dir, "");
    CriCalls.pull(first.client(), busybox);
    CriCalls.pull(first.client(), multilayer);
    String id = run(first.client(), "restart", Pods.containerConfig("app", busybox, "sleep", "600")
        .addMounts(volume("/vol", multilayer, "data")));
    first.kill();
    try (BerthdProcess second = BerthdProcess.start(dir, "")) {
      CriClient client = second.client();
      assertThat(out(client, id, "cat /vol/layer-3.txt")).isEqualTo("written by the uncompressed layer\n");
      remove(client, id);
      assertThat(volumeTraces(second)).isEmpty();
      Pods.removeAll(client);
      assertThat(HostTraces.of(second)).isEmpty();
    }
  }

  /** Mounts under berthd's image-volumes directory, and what is in that directory. */
  private static List<String> volumeTraces(BerthdProcess daemon) {
    Path volumes = daemon.stateDir().resolve("image-volumes");
    try {
      List<String> traces = new ArrayList<>();
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
        String mountPoint = line.split(" ")[4];
        if (mountPoint.startsWith(volumes + "/")) {
          traces.add("mount " + mountPoint);
        }
      }
      if (Files.isDirectory(volumes)) {
        try (var entries = Files.list(volumes)) {
          entries.forEach(p -> traces.add("file " + p));
        }
      }
      return traces;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String run(CriClient client, String name, ContainerConfig.Builder container) {
    PodSandboxConfig pod = Pods.podConfig(name, shared.resolve("logs/" + name)).build();
    String podId = Pods.runPod(client, pod);
    return Pods.run(client, podId, pod, container.build());
  }

  private static void remove(CriClient client, String id) {
    client.runtime(30_000).removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
  }

  private static String out(CriClient client, String id, String script) {
    ExecSyncResponse response = exec(client, id, script);
    assertThat(response.getExitCode()).as(script + ": " + response.getStderr().toStringUtf8()).isZero();
    return response.getStdout().toStringUtf8();
  }

  private static ExecSyncResponse exec(CriClient client, String id, String script) {
    return client.runtime(30_000).execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of("/bin/sh", "-c", script)).setTimeout(20).build());
  }
}
