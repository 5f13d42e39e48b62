package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.cri.container.ExecSyncHandler;
import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.HostTraces;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.ExecSyncRequest;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ExecSync of a command that writes far more than any probe should: bounded memory, truncated answer. */
class ExecSyncOutputTest {
  private static final long GIB = 1L << 30;
  @TempDir static Path shared;
  static Registry registry;
  static BerthdProcess berthd;
  static String image;

  @BeforeAll
  static void startBerthdWithImage() {
    registry = Registry.start(shared.resolve("registry"));
    FixtureImages.get().pushAll(registry);
    berthd = BerthdProcess.start(shared.resolve("berthd"), "");
    image = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
    CriCalls.pull(berthd.client(), image);
  }

  @AfterAll
  static void stopAll() {
    if (berthd != null) {
      Pods.removeAll(berthd.client());
      assertThat(HostTraces.of(berthd)).as("host traces after every pod is removed").isEmpty();
      berthd.close();
    }
    registry.close();
  }

  @Test
  void aGibibyteOfOutputIsReadToTheEndAndTruncatedWithoutGrowingTheHeap() throws IOException {
    var client = berthd.client();
    PodSandboxConfig podConfig = Pods.podConfig("flood", shared.resolve("logs/flood")).build();
    String pod = Pods.runPod(client, podConfig);
    String id = Pods.run(client, pod, podConfig, Pods.containerConfig("flood", image, "sleep", "600").build());
    long rssBefore = residentKib(berthd.pid());

    var result = client.runtime(120_000).execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of("/bin/sh", "-c", "head -c " + GIB + " /dev/zero; echo done >&2; exit 3"))
        .setTimeout(100).build());

    assertThat(result.getExitCode()).as("the command ran to its end").isEqualTo(3);
    assertThat(result.getStdout().size()).isEqualTo(ExecSyncHandler.MAX_OUTPUT);
    assertThat(result.getStderr().toStringUtf8()).isEqualTo("done\n");
    assertThat(residentKib(berthd.pid()) - rssBefore).as("berthd's growth in KiB while 1 GiB went through it")
        .isLessThan(128 * 1024);
    var after = client.runtime(30_000).execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of("echo", "still here")).setTimeout(10).build());
    assertThat(after.getStdout().toStringUtf8()).isEqualTo("still here\n");
  }

  private static long residentKib(long pid) throws IOException {
    return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
        .filter(l -> l.startsWith("VmRSS:"))
        .map(l -> Long.parseLong(l.replaceAll("\\D", "")))
        .findFirst().orElseThrow();
  }
}
