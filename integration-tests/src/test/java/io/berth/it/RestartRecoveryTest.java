package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.HostTraces;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.ContainerState;
import io.berth.proto.runtime.v1.ContainerStatusRequest;
import io.berth.proto.runtime.v1.ExecSyncRequest;
import io.berth.proto.runtime.v1.ListContainersRequest;
import io.berth.proto.runtime.v1.ListPodSandboxRequest;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PodSandboxState;
import io.berth.proto.runtime.v1.RemoveContainerRequest;
import io.berth.proto.runtime.v1.RemovePodSandboxRequest;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * berthd killed with SIGKILL at any moment: running containers keep running, exits while it
 * was down are found, and whatever an interrupted operation had made is cleaned up at the next
 * start (the crash points are armed through BERTH_TEST_CRASH_AT).
 */
class RestartRecoveryTest {
  @TempDir static Path shared;
  static Registry registry;
  static String image;

  @TempDir Path work;

  @BeforeAll
  static void startRegistry() {
    registry = Registry.start(shared.resolve("registry"));
    FixtureImages.get().pushAll(registry);
    image = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
  }

  @AfterAll
  static void stopRegistry() {
    registry.close();
  }

  @Test
  void containersOutliveBerthdAndItsSuccessorFindsTheirStateAndExits() throws Exception {
    Path berthdDir = work.resolve("berthd");
    BerthdProcess first = BerthdProcess.start(berthdDir, "");
    CriCalls.pull(first.client(), image);
    PodSandboxConfig podConfig = Pods.podConfig("survivor", work.resolve("logs")).build();
    String pod = Pods.runPod(first.client(), podConfig);
    String steady = Pods.run(first.client(), pod, podConfig, Pods.containerConfig("steady", image, "/bin/sh", "-c",
        "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done").build());
    String brief = Pods.run(first.client(), pod, podConfig, Pods.containerConfig("brief", image, "/bin/sh", "-c",
        "sleep 2; exit 5").build());
    long steadyPid = pid(first, steady);

    first.kill();
    Path log = work.resolve("logs/steady.log");
    long sizeAtKill = Files.size(log);
    // "brief" exits meanwhile, with nobody but conmon watching: conmon writes its exit file.
    Path briefExit = first.stateDir().resolve("exits").resolve(brief);
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> Files.exists(briefExit));
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).alias("its log keeps growing")
        .until(() -> Files.size(log) > sizeAtKill);
    assertThat(ProcessHandle.of(steadyPid)).as("still running without berthd").isPresent();

    try (BerthdProcess second = BerthdProcess.start(berthdDir, "")) {
      var client = second.client();
      assertThat(Pods.status(client, steady).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);
      assertThat(pid(second, steady)).isEqualTo(steadyPid);
      var exited = Pods.status(client, brief);
      assertThat(exited.getState()).isEqualTo(ContainerState.CONTAINER_EXITED);
      assertThat(exited.getExitCode()).isEqualTo(5);
      assertThat(exited.getFinishedAt()).isGreaterThan(exited.getStartedAt());
      assertThat(client.runtime(10_000).execSync(ExecSyncRequest.newBuilder().setContainerId(steady)
          .addCmd("true").setTimeout(10).build()).getExitCode()).isZero();
      assertThat(client.runtime(10_000).listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItems(0)
          .getState()).isEqualTo(PodSandboxState.SANDBOX_READY);
      Pods.removeAll(client);
      assertThat(HostTraces.of(second)).isEmpty();
    }
  }

  private static long pid(BerthdProcess berthd, String container) {
    String info = berthd.client().runtime(10_000).containerStatus(ContainerStatusRequest.newBuilder()
        .setContainerId(container).setVerbose(true).build()).getInfoMap().get("info");
    Matcher m = Pattern.compile("\"pid\":(\\d+)").matcher(info);
    assertThat(m.find()).isTrue();
    return Long.parseLong(m.group(1));
  }

  /** Each point is where a crash leaves the most behind in its operation. */
  @ParameterizedTest
  @ValueSource(strings = {"sandbox-shm", "sandbox-netns", "sandbox-infra-created", "sandbox-namespaces",
      "sandbox-network", "container-rootfs", "container-created", "container-removing", "sandbox-removing"})
  void aCrashAtAnyPointLeavesNothingAfterTheNextStart(String point) {
    Path berthdDir = work.resolve("berthd");
    try (BerthdProcess setup = BerthdProcess.start(berthdDir, "")) {
      CriCalls.pull(setup.client(), image);
    }
    // A shared PID namespace brings an infra container; the kubelet's default (one PID namespace
    // per container) has berthd pin the pod's namespaces instead. Both paths are crashed.
    boolean withInfra = point.equals("sandbox-netns") || point.equals("sandbox-infra-created");
    PodSandboxConfig podConfig = withInfra ? Pods.podConfig("crash", work.resolve("logs")).build()
        : Pods.perContainerPid(Pods.podConfig("crash", work.resolve("logs"))).build();
    var crashing = BerthdProcess.startWithEnv(berthdDir, "", Map.of("BERTH_TEST_CRASH_AT", point));
    var client = crashing.client();
    boolean sandboxPoint = point.startsWith("sandbox-") && !point.equals("sandbox-removing");
    assertThatThrownBy(() -> {
      String pod = Pods.runPod(client, podConfig);
      String id = Pods.create(client, pod, podConfig, Pods.containerConfig("victim", image, "sleep", "600").build());
      Pods.start(client, id);
      client.runtime(10_000).removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
      client.runtime(10_000).removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    }).isInstanceOf(StatusRuntimeException.class);
    assertThat(crashing.awaitExit(Duration.ofSeconds(10))).isEqualTo(137);

    try (BerthdProcess next = BerthdProcess.start(berthdDir, "")) {
      var pods = next.client().runtime(10_000).listPodSandbox(ListPodSandboxRequest.getDefaultInstance())
          .getItemsList();
      var containers = next.client().runtime(10_000).listContainers(ListContainersRequest.getDefaultInstance())
          .getContainersList();
      assertThat(containers).as("an interrupted create or remove of a container leaves none").isEmpty();
      if (sandboxPoint || point.equals("sandbox-removing")) {
        assertThat(pods).as("an interrupted RunPodSandbox or RemovePodSandbox leaves no pod").isEmpty();
        assertThat(HostTraces.of(next)).isEmpty();
      } else {
        assertThat(pods).hasSize(1);
        assertThat(pods.getFirst().getState()).isEqualTo(PodSandboxState.SANDBOX_READY);
      }
      Pods.removeAll(next.client());
      assertThat(HostTraces.of(next)).isEmpty();
    }
  }
}
