package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.berth.cri.client.CriClient;
import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthHome;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.Commands;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.DiskState;
import io.berth.it.harness.HostTraces;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.ContainerFilter;
import io.berth.proto.runtime.v1.ContainerState;
import io.berth.proto.runtime.v1.ContainerStateValue;
import io.berth.proto.runtime.v1.DNSConfig;
import io.berth.proto.runtime.v1.ExecSyncRequest;
import io.berth.proto.runtime.v1.LinuxContainerResources;
import io.berth.proto.runtime.v1.ListContainersRequest;
import io.berth.proto.runtime.v1.ListPodSandboxRequest;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PodSandboxFilter;
import io.berth.proto.runtime.v1.PodSandboxState;
import io.berth.proto.runtime.v1.PodSandboxStateValue;
import io.berth.proto.runtime.v1.PodSandboxStatusRequest;
import io.berth.proto.runtime.v1.RemoveContainerRequest;
import io.berth.proto.runtime.v1.RemovePodSandboxRequest;
import io.berth.proto.runtime.v1.ReopenContainerLogRequest;
import io.berth.proto.runtime.v1.StopContainerRequest;
import io.berth.proto.runtime.v1.StopPodSandboxRequest;
import io.berth.proto.runtime.v1.UpdateContainerResourcesRequest;
import io.berth.proto.runtime.v1.UpdatePodSandboxResourcesRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pod and container lifecycle over berthd's socket, with real runc, conmon and catatonit. */
class PodLifecycleTest {
  @TempDir static Path shared;
  static Registry registry;
  static BerthdProcess berthd;
  static String image;
  static List<String> diskBefore;

  @BeforeAll
  static void startBerthdWithImage() {
    registry = Registry.start(shared.resolve("registry"));
    FixtureImages.get().pushAll(registry);
    berthd = BerthdProcess.start(shared.resolve("berthd"), "");
    image = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
    CriCalls.pull(berthd.client(), image);
    diskBefore = DiskState.of(berthd.rootDir());
  }

  @AfterAll
  static void stopAll() {
    if (berthd != null) {
      Pods.removeAll(berthd.client());
      berthd.close();
    }
    registry.close();
  }

  @AfterEach
  void removePodsAndCheckNothingIsLeft() {
    Pods.removeAll(berthd.client());
    assertThat(HostTraces.of(berthd)).as("host traces after every pod is removed").isEmpty();
    assertThat(DiskState.of(berthd.rootDir())).as("snapshots and blobs").isEqualTo(diskBefore);
  }

  private PodSandboxConfig pod(String name) {
    return Pods.podConfig(name, shared.resolve("logs/" + name)).build();
  }

  @Test
  void podAndContainerLifeFromRunToRemove() throws Exception {
    var client = berthd.client();
    PodSandboxConfig podConfig = pod("life");
    String pod = Pods.runPod(client, podConfig);
    var podStatus = client.runtime(10_000).podSandboxStatus(
        PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).setVerbose(true).build());
    assertThat(podStatus.getStatus().getState()).isEqualTo(PodSandboxState.SANDBOX_READY);
    assertThat(podStatus.getStatus().getLabelsMap()).containsEntry("app", "life");
    assertThat(podStatus.getInfoMap().get("info")).contains("\"pid\":").contains("catatonit");

    String id = Pods.run(client, pod, podConfig, Pods.containerConfig("worker", image,
        "/bin/sh", "-c", "echo out; echo err >&2; hostname; cat /proc/1/cmdline; echo; exit 3").build());
    var status = Pods.awaitExited(client, id, Duration.ofSeconds(20));
    assertThat(status.getExitCode()).isEqualTo(3);
    assertThat(status.getReason()).isEqualTo("Error");
    assertThat(status.getCreatedAt()).isPositive();
    assertThat(status.getStartedAt()).isGreaterThanOrEqualTo(status.getCreatedAt());
    assertThat(status.getFinishedAt()).isGreaterThanOrEqualTo(status.getStartedAt());
    assertThat(status.getImageRef()).contains("@sha256:");
    Path log = shared.resolve("logs/life/worker.log");
    assertThat(status.getLogPath()).isEqualTo(log.toString());
    List<String> lines = Files.readAllLines(log);
    assertThat(lines).anyMatch(l -> l.matches("\\S+ stdout F out"));
    assertThat(lines).anyMatch(l -> l.matches("\\S+ stderr F err"));
    assertThat(lines).as("the pod's hostname").anyMatch(l -> l.endsWith("stdout F life"));
    assertThat(lines).as("the pod's PID namespace, with catatonit as PID 1")
        .anyMatch(l -> l.contains(" stdout ") && l.contains("/catatonit"));

    // Stop and remove are idempotent; the pod's records stay until the pod is removed.
    client.runtime(10_000).stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(5).build());
    client.runtime(10_000).stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    client.runtime(10_000).stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertThat(client.runtime(10_000).podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod)
        .build()).getStatus().getState()).isEqualTo(PodSandboxState.SANDBOX_NOTREADY);
    assertThat(Pods.status(client, id).getExitCode()).as("kept after the pod stopped").isEqualTo(3);
    client.runtime(10_000).removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
    client.runtime(10_000).removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
    client.runtime(10_000).removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    client.runtime(10_000).removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertThat(HostTraces.of(berthd)).isEmpty();
  }

  @Test
  void aPodWithoutASharedPidNamespaceHasItsNamespacesPinnedAndNoInfraContainer() throws Exception {
    var client = berthd.client();
    String hostPorts = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
    var builder = Pods.perContainerPid(Pods.podConfig("lean", shared.resolve("logs/lean")));
    builder.getLinuxBuilder().putSysctls("kernel.shm_rmid_forced", "1")
        .putSysctls("net.ipv4.ip_local_port_range", "20000 30000");
    PodSandboxConfig podConfig = builder.build();
    String pod = Pods.runPod(client, podConfig);
    assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains("-c " + pod)))
        .as("no monitor, hence no infra container, for the pod").isEmpty();
    String a = Pods.run(client, pod, podConfig, Pods.containerConfig("a", image, "sleep", "600").build());
    String b = Pods.run(client, pod, podConfig, Pods.containerConfig("b", image, "sleep", "600").build());
    String probe = "hostname; cat /proc/sys/kernel/shm_rmid_forced /proc/sys/net/ipv4/ip_local_port_range;"
        + " for n in ipc uts net; do readlink /proc/self/ns/$n; done; cat /proc/1/cmdline; echo";
    String inA = exec(client, a, probe);
    String inB = exec(client, b, probe);
    assertThat(inA).as("hostname, sysctls, then the namespaces and PID 1")
        .startsWith("lean\n1\n20000\t30000\nipc:[").contains("sleep");
    assertThat(inA).as("both containers share the pod's IPC, UTS and network namespaces").isEqualTo(inB);
    assertThat(inA).doesNotContain(Files.readSymbolicLink(Path.of("/proc/self/ns/ipc")).toString())
        .doesNotContain(Files.readSymbolicLink(Path.of("/proc/self/ns/uts")).toString());
    assertThat(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))).as("the host's is untouched")
        .isEqualTo(hostPorts);
    assertThat(client.runtime(10_000).podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod)
        .build()).getStatus().getState()).isEqualTo(PodSandboxState.SANDBOX_READY);

    client.runtime(10_000).stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertThat(client.runtime(10_000).podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod)
        .build()).getStatus().getState()).isEqualTo(PodSandboxState.SANDBOX_NOTREADY);
    assertThat(Pods.status(client, a).getState()).isEqualTo(ContainerState.CONTAINER_EXITED);
    client.runtime(10_000).removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertThat(HostTraces.of(berthd)).as("pins unmounted and deleted").isEmpty();
  }

  private static String exec(CriClient client, String container, String script) {
    var result = client.runtime(30_000).execSync(ExecSyncRequest.newBuilder().setContainerId(container)
        .addAllCmd(List.of("/bin/sh", "-c", script)).setTimeout(10).build());
    assertThat(result.getExitCode()).as(result.getStderr().toStringUtf8()).isZero();
    return result.getStdout().toStringUtf8();
  }

  @Test
  void listsFilterByIdPrefixStateLabelAndPod() {
    var client = berthd.client();
    PodSandboxConfig a = pod("list-a");
    PodSandboxConfig b = pod("list-b");
    String podA = Pods.runPod(client, a);
    String podB = Pods.runPod(client, b);
    String running = Pods.run(client, podA, a, Pods.containerConfig("sleeper", image, "sleep", "600").build());
    String exited = Pods.run(client, podB, b, Pods.containerConfig("quick", image, "true").build());
    Pods.awaitExited(client, exited, Duration.ofSeconds(20));
    String created = Pods.create(client, podB, b, Pods.containerConfig("later", image, "true").build());

    var runtime = client.runtime(10_000);
    assertThat(runtime.listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(PodSandboxFilter.newBuilder()
        .setId(podA.substring(0, 12))).build()).getItemsList()).extracting(p -> p.getId()).containsExactly(podA);
    assertThat(runtime.listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(PodSandboxFilter.newBuilder()
        .putLabelSelector("app", "list-b")).build()).getItemsList()).extracting(p -> p.getId()).containsExactly(podB);
    assertThat(runtime.listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(PodSandboxFilter.newBuilder()
        .setState(PodSandboxStateValue.newBuilder().setState(PodSandboxState.SANDBOX_NOTREADY))).build())
        .getItemsList()).isEmpty();
    assertThat(list(ContainerFilter.newBuilder().setState(ContainerStateValue.newBuilder()
        .setState(ContainerState.CONTAINER_RUNNING)))).containsExactly(running);
    assertThat(list(ContainerFilter.newBuilder().setState(ContainerStateValue.newBuilder()
        .setState(ContainerState.CONTAINER_EXITED)))).containsExactly(exited);
    assertThat(list(ContainerFilter.newBuilder().setState(ContainerStateValue.newBuilder()
        .setState(ContainerState.CONTAINER_CREATED)))).containsExactly(created);
    assertThat(list(ContainerFilter.newBuilder().setPodSandboxId(podB))).containsExactlyInAnyOrder(exited, created);
    assertThat(list(ContainerFilter.newBuilder().setId(running.substring(0, 10)))).containsExactly(running);
    assertThat(list(ContainerFilter.newBuilder().putLabelSelector("container", "quick"))).containsExactly(exited);
    // Removing the pod takes its containers, running or not.
    runtime.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podA).build());
    assertThat(list(ContainerFilter.newBuilder())).containsExactlyInAnyOrder(exited, created);
  }

  private List<String> list(ContainerFilter.Builder filter) {
    return berthd.client().runtime(10_000).listContainers(ListContainersRequest.newBuilder().setFilter(filter).build())
        .getContainersList().stream().map(c -> c.getId()).toList();
  }

  @Test
  void stopSendsTermThenKillsAfterTheTimeout() {
    var client = berthd.client();
    PodSandboxConfig podConfig = pod("stubborn");
    String pod = Pods.runPod(client, podConfig);
    String id = Pods.run(client, pod, podConfig, Pods.containerConfig("stubborn", image, "/bin/sh", "-c",
        "trap 'echo got TERM' TERM; echo ready; while true; do sleep 0.1; done").build());
    awaitLog(shared.resolve("logs/stubborn/stubborn.log"), "ready");
    long start = System.nanoTime();
    client.runtime(30_000).stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(2).build());
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(took).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(10));
    var status = Pods.status(client, id);
    assertThat(status.getState()).isEqualTo(ContainerState.CONTAINER_EXITED);
    assertThat(status.getExitCode()).as("SIGKILL").isEqualTo(137);
    awaitLog(shared.resolve("logs/stubborn/stubborn.log"), "got TERM");

    String quick = Pods.run(client, pod, podConfig, Pods.containerConfig("quick", image, "sleep", "600").build());
    start = System.nanoTime();
    client.runtime(30_000).stopContainer(StopContainerRequest.newBuilder().setContainerId(quick).setTimeout(0).build());
    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("timeout 0 kills at once")
        .isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void execSyncReturnsOutputAndExitCodeAndHonoursTheTimeout() {
    var client = berthd.client();
    PodSandboxConfig podConfig = pod("exec");
    String pod = Pods.runPod(client, podConfig);
    String id = Pods.run(client, pod, podConfig, Pods.containerConfig("exec", image, "sleep", "600").build());
    var result = client.runtime(30_000).execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of("/bin/sh", "-c", "echo hi; echo oops >&2; exit 7")).setTimeout(10).build());
    assertThat(result.getStdout().toStringUtf8()).isEqualTo("hi\n");
    assertThat(result.getStderr().toStringUtf8()).isEqualTo("oops\n");
    assertThat(result.getExitCode()).isEqualTo(7);

    long start = System.nanoTime();
    assertThatThrownBy(() -> client.runtime(30_000).execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of("sleep", "60")).setTimeout(1).build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    String ps = client.runtime(30_000).execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of("ps", "-o", "stat,args")).setTimeout(10).build()).getStdout().toStringUtf8();
    assertThat(ps.lines().filter(l -> l.contains("sleep")))
        .as("the timed-out command is gone, not left a zombie under the pod's init")
        .allMatch(l -> l.contains("sleep 600"));

    client.runtime(30_000).stopContainer(StopContainerRequest.newBuilder().setContainerId(id).build());
    assertThatThrownBy(() -> client.runtime(30_000).execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addCmd("true").build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.FAILED_PRECONDITION));
  }

  @Test
  void resourcesAreUpdatedLiveAndLogsReopenAfterRotation() throws Exception {
    var client = berthd.client();
    PodSandboxConfig podConfig = pod("tune");
    String pod = Pods.runPod(client, podConfig);
    String id = Pods.run(client, pod, podConfig, Pods.containerConfig("ticker", image, "/bin/sh", "-c",
        "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done").build());
    client.runtime(10_000).updateContainerResources(UpdateContainerResourcesRequest.newBuilder().setContainerId(id)
        .setLinux(LinuxContainerResources.newBuilder().setMemoryLimitInBytes(64L << 20).setCpuShares(512)).build());
    var cgroup = client.runtime(10_000).execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of("cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/cpu/cpu.shares"))
        .setTimeout(10).build()).getStdout().toStringUtf8();
    assertThat(cgroup.lines().toList()).containsExactly(String.valueOf(64L << 20), "512");
    assertThat(Pods.status(client, id).getResources().getLinux().getMemoryLimitInBytes()).isEqualTo(64L << 20);

    Path log = shared.resolve("logs/tune/ticker.log");
    awaitLog(log, "tick 3");
    Path rotated = log.resolveSibling("ticker.log.1");
    Files.move(log, rotated);
    client.runtime(10_000).reopenContainerLog(ReopenContainerLogRequest.newBuilder().setContainerId(id).build());
    awaitLog(log, "tick");
    client.runtime(10_000).stopContainer(StopContainerRequest.newBuilder().setContainerId(id).build());
    assertThatThrownBy(() -> client.runtime(10_000).reopenContainerLog(ReopenContainerLogRequest.newBuilder()
        .setContainerId(id).build())).satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.FAILED_PRECONDITION));
  }

  /** In-place pod resize: the kubelet's new pod resources are recorded (verbose status shows them), not refused. */
  @Test
  void podResourcesAreRecordedWhenTheKubeletResizesAPod() {
    var runtime = berthd.client().runtime(10_000);
    var resources = LinuxContainerResources.newBuilder().setMemoryLimitInBytes(96L << 20).setCpuQuota(30_000)
        .setCpuPeriod(100_000).build();
    var podConfig = pod("resize").toBuilder();
    podConfig.getLinuxBuilder().setResources(LinuxContainerResources.newBuilder().setMemoryLimitInBytes(64L << 20));
    String pod = Pods.runPod(berthd.client(), podConfig.build());
    runtime.updatePodSandboxResources(UpdatePodSandboxResourcesRequest.newBuilder().setPodSandboxId(pod)
        .setResources(resources).build());
    String info = runtime.podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod)
        .setVerbose(true).build()).getInfoMap().get("info");
    assertThat(info).contains(String.valueOf(96L << 20)).doesNotContain(String.valueOf(64L << 20));
    assertThatThrownBy(() -> runtime.updatePodSandboxResources(UpdatePodSandboxResourcesRequest.newBuilder()
        .setPodSandboxId("0123456789abcdef").setResources(resources).build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND));
    assertThatThrownBy(() -> runtime.updatePodSandboxResources(UpdatePodSandboxResourcesRequest.newBuilder()
        .setPodSandboxId(pod).setResources(LinuxContainerResources.newBuilder().setCpuPeriod(5)).build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void badRequestsGetPreciseCodesAndLeaveNothing() {
    var client = berthd.client();
    var runtime = client.runtime(10_000);
    assertThatThrownBy(() -> Pods.runPod(client, PodSandboxConfig.getDefaultInstance()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT));
    // A newline would add a line of its own to resolv.conf, or reach sethostname.
    assertThatThrownBy(() -> Pods.runPod(client, pod("dns").toBuilder().setDnsConfig(DNSConfig.newBuilder()
        .addServers("10.0.0.1\nnameserver 6.6.6.6")).build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT));
    assertThatThrownBy(() -> Pods.runPod(client, pod("host").toBuilder().setHostname("bad\nhost").build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT));
    assertThatThrownBy(() -> Pods.status(client, "0123456789abcdef"))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND));
    assertThatThrownBy(() -> runtime.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId("nope").build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND));
    runtime.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId("nope").build());

    PodSandboxConfig podConfig = pod("bad");
    String pod = Pods.runPod(client, podConfig);
    assertThatThrownBy(() -> Pods.create(client, pod, podConfig,
        Pods.containerConfig("ghost", "berth.invalid/not/pulled:1", "true").build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND));
    // The runtime's own words come back, and the failed container leaves no record, mount or snapshot.
    assertThatThrownBy(() -> Pods.create(client, pod, podConfig,
        Pods.containerConfig("broken", image, "/no/such/binary").build()))
        .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getDescription())
            .contains("/no/such/binary"));
    assertThat(list(ContainerFilter.newBuilder())).isEmpty();
    String id = Pods.create(client, pod, podConfig, Pods.containerConfig("broken", image, "true").build());
    assertThatThrownBy(() -> Pods.create(client, pod, podConfig, Pods.containerConfig("broken", image, "true").build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.ALREADY_EXISTS));
    Pods.start(client, id);
    assertThatThrownBy(() -> Pods.start(client, id))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.FAILED_PRECONDITION));
    runtime.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertThatThrownBy(() -> Pods.create(client, pod, podConfig, Pods.containerConfig("late", image, "true").build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.FAILED_PRECONDITION));
  }

  @Test
  void aRetriedRunPodSandboxGetsTheSameSandbox() {
    var client = berthd.client();
    PodSandboxConfig podConfig = pod("retry");
    String first = Pods.runPod(client, podConfig);
    assertThat(Pods.runPod(client, podConfig)).isEqualTo(first);
    PodSandboxConfig other = podConfig.toBuilder().putLabels("changed", "yes").build();
    assertThatThrownBy(() -> Pods.runPod(client, other))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.ALREADY_EXISTS));
  }

  @Test
  void berthctlDrivesAPodLikeCrictl() throws Exception {
    String endpoint = "unix://" + berthd.socket();
    String ctl = BerthHome.berthctl().toString();
    Path pod = shared.resolve("ctl-pod.json");
    Path ctr = shared.resolve("ctl-ctr.json");
    Files.writeString(pod, """
        {"metadata": {"name": "ctl", "namespace": "berth-test", "uid": "ctl-uid", "attempt": 0},
         "log_directory": "%s", "labels": {"app": "ctl"}}
        """.formatted(shared.resolve("logs/ctl")));
    Files.writeString(ctr, """
        {"metadata": {"name": "talker"}, "image": {"image": "%s"},
         "command": ["/bin/sh", "-c", "echo line one; echo line two; echo oops >&2; sleep 600"],
         "log_path": "talker.log"}
        """.formatted(image));
    var run = (Function<String[], String>) args -> {
      List<String> command = new ArrayList<>(List.of(ctl, "-r", endpoint));
      command.addAll(List.of(args));
      return Commands.runOrFail(command.toArray(String[]::new)).stdout();
    };
    String podId = run.apply(new String[] {"runp", pod.toString()}).strip();
    String id = run.apply(new String[] {"create", podId, ctr.toString(), pod.toString()}).strip();
    run.apply(new String[] {"start", id});
    assertThat(run.apply(new String[] {"pods"})).contains(podId.substring(0, 13)).contains("Ready").contains("ctl");
    assertThat(run.apply(new String[] {"ps"})).contains(id.substring(0, 13)).contains("Running").contains("talker");
    assertThat(run.apply(new String[] {"inspect", id})).contains("\"timeline\"").contains("runtime_create");
    assertThat(run.apply(new String[] {"inspectp", podId})).contains("infra_create").contains("SANDBOX_READY");
    awaitLog(shared.resolve("logs/ctl/talker.log"), "line two");
    awaitLog(shared.resolve("logs/ctl/talker.log"), "oops");
    assertThat(run.apply(new String[] {"logs", id})).as("stdout lines only").isEqualTo("line one\nline two\n");
    var tail = Commands.run(List.of(ctl, "-r", endpoint, "logs", "--tail", "2", id));
    assertThat((tail.stdout() + tail.stderr()).lines().toList()).as("the last two lines of both streams")
        .hasSize(2).doesNotContain("line one");
    var exec = Commands.run(List.of(ctl, "-r", endpoint, "exec", "--sync", id, "/bin/sh", "-c",
        "echo from exec; exit 5"));
    assertThat(exec.exitCode()).isEqualTo(5);
    assertThat(exec.stdout()).isEqualTo("from exec\n");
    assertThat(run.apply(new String[] {"stats"})).contains("talker").contains("MEM");
    run.apply(new String[] {"stop", "--timeout", "0", id});
    assertThat(run.apply(new String[] {"ps", "-a"})).contains("Exited");
    run.apply(new String[] {"rm", id});
    String second = run.apply(new String[] {"create", podId, ctr.toString(), pod.toString()}).strip();
    run.apply(new String[] {"start", second});
    run.apply(new String[] {"rm", "-f", second}); // stopped at once, then removed
    assertThat(run.apply(new String[] {"ps", "-a", "-q"})).isEmpty();
    run.apply(new String[] {"rmp", "--force", podId}); // a ready pod: stopped, then removed
    assertThat(run.apply(new String[] {"pods", "-q"})).isEmpty();
    var nothingNamed = Commands.run(List.of(ctl, "-r", endpoint, "rmp"));
    assertThat(nothingNamed.exitCode()).isEqualTo(2);
    assertThat(nothingNamed.stderr()).contains("--all");
  }

  static Status.Code code(Throwable e) {
    return ((StatusRuntimeException) e).getStatus().getCode();
  }

  static void awaitLog(Path log, String text) {
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).alias("'" + text + "' in " + log)
        .until(() -> Files.exists(log) && Files.readString(log).contains(text));
  }
}
