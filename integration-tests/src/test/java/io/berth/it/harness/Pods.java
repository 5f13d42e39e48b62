package io.berth.it.harness;

import static org.awaitility.Awaitility.await;

import io.berth.cri.client.CriClient;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.ContainerMetadata;
import io.berth.proto.runtime.v1.ContainerState;
import io.berth.proto.runtime.v1.ContainerStatus;
import io.berth.proto.runtime.v1.ContainerStatusRequest;
import io.berth.proto.runtime.v1.CreateContainerRequest;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.ListPodSandboxRequest;
import io.berth.proto.runtime.v1.NamespaceMode;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PodSandboxMetadata;
import io.berth.proto.runtime.v1.RemovePodSandboxRequest;
import io.berth.proto.runtime.v1.RunPodSandboxRequest;
import io.berth.proto.runtime.v1.StartContainerRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/** Pod and container calls for tests, with configs shaped as the kubelet sends them. */
public final class Pods {
  private static final long TIMEOUT_MS = 60_000;

  private Pods() {}

  /** A pod config with a fresh UID and log directory {@code logDir}. */
  public static PodSandboxConfig.Builder podConfig(String name, Path logDir) {
    return PodSandboxConfig.newBuilder()
        .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("berth-test")
            .setUid(UUID.randomUUID().toString()).setAttempt(0))
        .setHostname(name)
        .setLogDirectory(logDir.toString())
        .putLabels("app", name);
  }

  /**
   * {@code config} as the kubelet sends it for a pod that does not share its PID namespace
   * (every pod without shareProcessNamespace): berthd then runs no infra container for it.
   */
  public static PodSandboxConfig.Builder perContainerPid(PodSandboxConfig.Builder config) {
    var linux = config.getLinux().toBuilder();
    var security = linux.getSecurityContext().toBuilder();
    security.setNamespaceOptions(security.getNamespaceOptions().toBuilder().setPid(NamespaceMode.CONTAINER));
    return config.setLinux(linux.setSecurityContext(security));
  }

  /** {@code config} with its own PID namespace, as the kubelet sends containers of such pods. */
  public static ContainerConfig.Builder perContainerPid(ContainerConfig.Builder config) {
    var security = config.getLinuxBuilder().getSecurityContextBuilder();
    security.setNamespaceOptions(security.getNamespaceOptions().toBuilder().setPid(NamespaceMode.CONTAINER));
    return config;
  }

  public static ContainerConfig.Builder containerConfig(String name, String image, String... command) {
    return ContainerConfig.newBuilder()
        .setMetadata(ContainerMetadata.newBuilder().setName(name))
        .setImage(ImageSpec.newBuilder().setImage(image))
        .addAllCommand(List.of(command))
        .setLogPath(name + ".log")
        .putLabels("container", name);
  }

  public static String runPod(CriClient client, PodSandboxConfig config) {
    return client.runtime(TIMEOUT_MS).runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build())
        .getPodSandboxId();
  }

  public static String create(CriClient client, String pod, PodSandboxConfig podConfig, ContainerConfig config) {
    return client.runtime(TIMEOUT_MS).createContainer(CreateContainerRequest.newBuilder()
        .setPodSandboxId(pod).setConfig(config).setSandboxConfig(podConfig).build()).getContainerId();
  }

  public static void start(CriClient client, String container) {
    client.runtime(TIMEOUT_MS).startContainer(StartContainerRequest.newBuilder().setContainerId(container).build());
  }

  /** Creates and starts a container; returns its ID. */
  public static String run(CriClient client, String pod, PodSandboxConfig podConfig, ContainerConfig config) {
    String id = create(client, pod, podConfig, config);
    start(client, id);
    return id;
  }

  public static ContainerStatus status(CriClient client, String container) {
    return client.runtime(TIMEOUT_MS).containerStatus(ContainerStatusRequest.newBuilder().setContainerId(container)
        .build()).getStatus();
  }

  /** Polls ContainerStatus until the container has exited. */
  public static ContainerStatus awaitExited(CriClient client, String container, Duration timeout) {
    return await().atMost(timeout).pollInterval(Duration.ofMillis(20)).alias("container " + container + " exited")
        .until(() -> status(client, container), s -> s.getState() == ContainerState.CONTAINER_EXITED);
  }

  /** Removes every pod the runtime knows (and so every container): a test's clean-up. */
  public static void removeAll(CriClient client) {
    var pods = client.runtime(TIMEOUT_MS).listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList();
    for (var pod : pods) {
      client.runtime(TIMEOUT_MS).removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod.getId())
          .build());
    }
  }
}
