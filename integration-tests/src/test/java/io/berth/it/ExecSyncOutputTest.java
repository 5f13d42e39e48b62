package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.berth.cri.container.ExecSyncHandler;
import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.HostTraces;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.ExecSyncRequest;
import io.berth.proto.runtime.v1.ExecSyncResponse;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.VersionRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ExecSync of commands that write far more than any probe should: bounded memory, a truncated
 * answer that fits the kubelet's 16 MiB message, every runtime process reaped.
 */
class ExecSyncOutputTest {
  private static final long GIB = 1L << 30;
  private static final int MIB = 1 << 20;
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
    assertThat(result.getStdout().size()).as("all but the 1 MiB kept free for stderr while it is open")
        .isEqualTo(ExecSyncHandler.MAX_OUTPUT - MIB);
    assertThat(result.getStderr().toStringUtf8()).isEqualTo("done\n");
    assertThat(residentKib(berthd.pid()) - rssBefore).as("berthd's growth in KiB while 1 GiB went through it")
        .isLessThan(128 * 1024);
    var after = client.runtime(30_000).execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of("echo", "still here")).setTimeout(10).build());
    assertThat(after.getStdout().toStringUtf8()).isEqualTo("still here\n");
  }

  /**
   * Three floods at once on both streams (once they filled berthd's heap in the reaping threads,
   * left runc zombies and answered 32 MiB), then a command whose background child holds its
   * output past the deadline: each answer in time and within the kubelet's limit, berthd still
   * answers, and no child of berthd is left a zombie.
   */
  @Test
  void concurrentFloodsOnBothStreamsFitTheKubeletsLimitAndLeaveNoZombie() throws Exception {
    var client = berthd.client();
    PodSandboxConfig podConfig = Pods.podConfig("floods", shared.resolve("logs/floods")).build();
    String pod = Pods.runPod(client, podConfig);
    String id = Pods.run(client, pod, podConfig, Pods.containerConfig("floods", image, "sleep", "600").build());
    String flood = "head -c 20000000 /dev/zero & head -c 20000000 /dev/zero >&2; wait; echo end >&2";

    List<CompletableFuture<ExecSyncResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      calls.add(CompletableFuture.supplyAsync(() -> client.runtime(60_000).execSync(ExecSyncRequest.newBuilder()
          .setContainerId(id).addAllCmd(List.of("/bin/sh", "-c", flood)).setTimeout(50).build())));
    }
    for (var call : calls) {
      ExecSyncResponse result = call.get(60, TimeUnit.SECONDS);
      assertThat(result.getExitCode()).isZero();
      assertThat(result.getStdout().size()).isLessThanOrEqualTo(16 * MIB);
      assertThat(result.getStderr().size()).as("stderr's reserve").isBetween(MIB, 16 * MIB);
      assertThat(result.getStdout().size() + result.getStderr().size()).isEqualTo(ExecSyncHandler.MAX_OUTPUT);
      assertThat(result.getSerializedSize()).as("the reply the kubelet reads").isLessThanOrEqualTo(16 * MIB);
    }

    long start = System.nanoTime();
    Throwable late = catchThrowable(() -> client.runtime(30_000).execSync(ExecSyncRequest.newBuilder()
        .setContainerId(id).addAllCmd(List.of("/bin/sh", "-c", "sleep 300 & echo started")).setTimeout(1).build()));
    assertThat(((StatusRuntimeException) late).getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));

    assertThat(client.runtime(5_000).version(VersionRequest.getDefaultInstance()).getRuntimeName()).isNotEmpty();
    assertThat(berthd.logText()).doesNotContain("OutOfMemoryError");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(HostTraces.zombieChildren(berthd.pid())).as("zombie children of berthd").isEmpty());
  }

  /** A caller that gives up (here its deadline passes; the exec itself has none) takes its command with it. */
  @Test
  void anExecWhoseCallerGaveUpIsKilledAndReaped() throws Exception {
    var client = berthd.client();
    PodSandboxConfig podConfig = Pods.podConfig("gave-up", shared.resolve("logs/gave-up")).build();
    String pod = Pods.runPod(client, podConfig);
    String id = Pods.run(client, pod, podConfig, Pods.containerConfig("gave-up", image, "sleep", "600").build());

    Throwable gaveUp = catchThrowable(() -> client.runtime(2_000).execSync(ExecSyncRequest.newBuilder()
        .setContainerId(id).addAllCmd(List.of("sleep", "87")).build()));
    assertThat(((StatusRuntimeException) gaveUp).getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(commandLines()).as("the command nobody waits for").doesNotContain("sleep 87"));
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(HostTraces.zombieChildren(berthd.pid())).as("zombie children of berthd").isEmpty());
  }

  private static List<String> commandLines() {
    List<String> lines = new ArrayList<>();
    ProcessHandle.allProcesses().forEach(p -> {
      try {
        lines.add(new String(Files.readAllBytes(Path.of("/proc/" + p.pid() + "/cmdline"))).replace('\0', ' ').strip());
      } catch (IOException gone) {
        // exited meanwhile
      }
    });
    return lines;
  }

  private static long residentKib(long pid) throws IOException {
    return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
        .filter(l -> l.startsWith("VmRSS:"))
        .map(l -> Long.parseLong(l.replaceAll("\\D", "")))
        .findFirst().orElseThrow();
  }
}
