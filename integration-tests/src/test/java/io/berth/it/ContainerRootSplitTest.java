package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.HostTraces;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.ExecSyncRequest;
import io.berth.proto.runtime.v1.FilesystemUsage;
import io.berth.proto.runtime.v1.ImageFsInfoResponse;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KEP-4191 split image filesystem: with images.container_root on its own filesystem (a tmpfs),
 * containers' writable layers live there and ImageFsInfo reports it as container_filesystems,
 * apart from the image filesystem at the root.
 */
class ContainerRootSplitTest {
  @TempDir Path work;

  @Test
  void writableLayersLiveOnTheContainerRootWhichImageFsInfoReportsApart() throws Exception {
    Path containerRoot = Files.createDirectories(work.resolve("container-fs"));
    run("mount", "-t", "tmpfs", "-o", "size=64m", "berth-it-container-root", containerRoot.toString());
    try {
      splitAndMeasured(containerRoot);
    } finally {
      run("umount", containerRoot.toString());
    }
  }

  private void splitAndMeasured(Path containerRoot) throws Exception {
    String config = "[images]\nusage_interval_seconds = 1\ncontainer_root = \"" + containerRoot + "\"\n";
    try (Registry registry = Registry.start(work.resolve("registry"));
        BerthdProcess berthd = BerthdProcess.start(work.resolve("berthd"), config)) {
      FixtureImages.get().pushAll(registry);
      String image = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
      CriCalls.pull(berthd.client(), image);
      var client = berthd.client();
      assertThat(containerRoot.resolve("snapshots")).as("unpacked layers stay on the image root").isEmptyDirectory();
      ImageFsInfoResponse pulled = CriCalls.fsInfo(client);
      FilesystemUsage imageFs = pulled.getImageFilesystems(0);
      assertThat(imageFs.getFsId().getMountpoint()).isEqualTo(berthd.rootDir().toString());
      assertThat(imageFs.getUsedBytes().getValue()).isGreaterThan(2_000_000);
      assertThat(pulled.getContainerFilesystems(0).getFsId().getMountpoint()).isEqualTo(containerRoot.toString());
      assertThat(pulled.getContainerFilesystems(0).getUsedBytes().getValue()).isZero();

      PodSandboxConfig podConfig = Pods.podConfig("split", work.resolve("logs")).build();
      String pod = Pods.runPod(client, podConfig);
      String writer = Pods.run(client, pod, podConfig, Pods.containerConfig("writer", image, "sleep", "600").build());
      client.runtime(30_000).execSync(ExecSyncRequest.newBuilder().setContainerId(writer).addAllCmd(List.of(
          "/bin/sh", "-c", "head -c 5242880 /dev/zero > /data.bin; sync")).setTimeout(20).build());

      assertThat(upperFiles(containerRoot, "data.bin")).as("the writable layer is on the container root").hasSize(1);
      ImageFsInfoResponse grown = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
          .until(() -> CriCalls.fsInfo(client),
              r -> r.getContainerFilesystems(0).getUsedBytes().getValue() >= 5_000_000L);
      FilesystemUsage containerFs = grown.getContainerFilesystems(0);
      assertThat(containerFs.getFsId().getMountpoint()).isEqualTo(containerRoot.toString());
      assertThat(containerFs.getUsedBytes().getValue()).isBetween(5_000_000L, 6_000_000L);
      assertThat(containerFs.getInodesUsed().getValue()).isPositive();
      assertThat(grown.getImageFilesystems(0).getFsId().getMountpoint()).isEqualTo(berthd.rootDir().toString());
      assertThat(grown.getImageFilesystems(0).getUsedBytes().getValue()).as("the image filesystem did not grow")
          .isEqualTo(imageFs.getUsedBytes().getValue());

      Pods.removeAll(client);
      assertThat(containerRoot.resolve("snapshots")).as("removal leaves nothing on the container root")
          .isEmptyDirectory();
      assertThat(CriCalls.fsInfo(client).getContainerFilesystems(0).getUsedBytes().getValue()).isZero();
      assertThat(HostTraces.of(berthd)).isEmpty();
    }
  }

  /** Files named {@code name} at the top of any writable layer under the container root. */
  private static List<Path> upperFiles(Path containerRoot, String name) throws IOException {
    try (Stream<Path> layers = Files.list(containerRoot.resolve("snapshots"))) {
      return layers.map(layer -> layer.resolve("fs").resolve(name)).filter(Files::exists).toList();
    }
  }

  private static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).inheritIO().start();
    assertThat(process.waitFor()).as(String.join(" ", command)).isZero();
  }
}
