package io.berth.it.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.berth.cri.client.CriClient;
import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.CgroupDriver;
import io.berth.proto.runtime.v1.ContainerState;
import io.berth.proto.runtime.v1.ContainerStatusRequest;
import io.berth.proto.runtime.v1.LinuxContainerResources;
import io.berth.proto.runtime.v1.LinuxPodSandboxConfig;
import io.berth.proto.runtime.v1.LinuxSandboxSecurityContext;
import io.berth.proto.runtime.v1.NamespaceMode;
import io.berth.proto.runtime.v1.NamespaceOption;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.RunPodSandboxRequest;
import io.berth.proto.runtime.v1.RuntimeConfigRequest;
import io.berth.proto.runtime.v1.StatusRequest;
import io.berth.proto.runtime.v1.VersionRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * berth's Debian package on a real systemd node with a pure cgroup v2 hierarchy (a qemu guest):
 * berthd.service started by systemd (Type=notify), the systemd cgroup driver, a container's
 * limits in its v2 files, and a service restart that leaves the container running. Runs only with
 * {@code -Dberth.vm=true} ({@code make vm-test}): the guest image takes minutes to build once.
 */
@EnabledIfSystemProperty(named = "berth.vm", matches = "true")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SystemdNodeTest {
  private static final Pattern PID = Pattern.compile("\"pid\":(\\d+)");
  private static final String CONFIG = """
      [runtime]
      cgroup_driver = "systemd"

      [registry]
      config_path = "/etc/berth/certs.d"
      """;

  @TempDir static Path work;
  static Registry registry;
  static GuestVm vm;
  static String image;

  @BeforeAll
  static void bootNodeWithBerth() {
    long t0 = System.nanoTime();
    Path imageDir = GuestVm.image();
    long t1 = System.nanoTime();
    Path deb = GuestVm.debPackage();
    registry = Registry.start(work.resolve("registry"));
    FixtureImages.get().pushAll(registry);
    long t2 = System.nanoTime();
    vm = GuestVm.boot(imageDir, deb, work.resolve("vm"));
    long t3 = System.nanoTime();
    // The guest reaches the host's 127.0.0.1 at 10.0.2.2: the same registry, another name.
    String guestRegistry = GuestVm.HOST_FROM_GUEST + ":" + registry.host().substring(registry.host().indexOf(':') + 1);
    vm.installAndStartBerth(CONFIG, List.of(guestRegistry));
    long t4 = System.nanoTime();
    image = guestRegistry + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
    System.out.printf("[vm-timing] image %d ms, deb+registry %d ms, boot %d ms, install+start %d ms%n",
        (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000, (t4 - t3) / 1_000_000);
  }

  @AfterAll
  static void stopAll() {
    if (vm != null) {
      vm.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  @Order(1)
  void guestIsASystemdNodeOnCgroupV2() {
    assertThat(vm.shOrFail("stat -fc %T /sys/fs/cgroup").strip()).isEqualTo("cgroup2fs");
    assertThat(vm.shOrFail("cat /sys/fs/cgroup/cgroup.controllers")).contains("cpu", "memory", "pids");
    assertThat(vm.shOrFail("cat /proc/1/comm").strip()).isEqualTo("systemd");
  }

  @Test
  @Order(2)
  void berthdAnswersThroughTheForwardedPortWithTheSystemdDriver() {
    CriClient client = vm.client();
    assertThat(client.runtime(30_000).version(VersionRequest.getDefaultInstance()).getRuntimeName())
        .isEqualTo("berth");
    var conditions = client.runtime(30_000).status(StatusRequest.getDefaultInstance()).getStatus().getConditionsList();
    assertThat(conditions).anyMatch(c -> c.getType().equals("RuntimeReady") && c.getStatus());
    assertThat(client.runtime(30_000).runtimeConfig(RuntimeConfigRequest.getDefaultInstance()).getLinux()
        .getCgroupDriver()).isEqualTo(CgroupDriver.SYSTEMD);
    String show = vm.shOrFail("systemctl show berthd -p Type -p ActiveState -p SubState -p NotifyAccess");
    assertThat(show).contains("Type=notify", "ActiveState=active", "SubState=running");
    assertThat(vm.shOrFail("journalctl -u berthd --no-pager -o cat")).as("berthd's log lines in journald")
        .contains("serving socket=/run/berth/berth.sock");
  }

  @Test
  @Order(3)
  void containerLimitsLandInItsCgroupV2FilesAndSurviveARestartOfBerthd() {
    CriClient client = vm.client();
    long pullStart = System.nanoTime();
    CriCalls.pull(client, image);
    long pulled = System.nanoTime();
    PodSandboxConfig.Builder podBuilder = Pods.podConfig("limits", Path.of("/var/log/pods/limits"));
    String uid = podBuilder.getMetadata().getUid();
    PodSandboxConfig podConfig = podBuilder
        .setLinux(LinuxPodSandboxConfig.newBuilder()
            // The kubelet's slice for a burstable pod under the systemd driver.
            .setCgroupParent("kubepods-burstable-pod" + uid.replace('-', '_') + ".slice")
            .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
                // The guest has no CNI configuration: the pod uses the node's network.
                NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE))))
        .build();
    String pod = Pods.runPod(client, podConfig);
    var config = Pods.containerConfig("sleeper", image, "/bin/sh", "-c", "while true; do sleep 1; done");
    config.getLinuxBuilder().setResources(LinuxContainerResources.newBuilder()
        .setMemoryLimitInBytes(64L * 1024 * 1024).setCpuPeriod(100_000).setCpuQuota(50_000).setCpuShares(512));
    String id = Pods.run(client, pod, podConfig, config.build());
    long started = System.nanoTime();
    assertThat(Pods.status(client, id).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);

    long pid = pid(client, id);
    String cgroup = vm.shOrFail("cat /proc/" + pid + "/cgroup").strip();
    assertThat(cgroup).as("one v2 line").startsWith("0::/");
    String dir = "/sys/fs/cgroup" + cgroup.substring(3);
    assertThat(cgroup).as("under the kubelet's pod slice").contains("kubepods-burstable-pod" + uid.replace('-', '_'));
    assertThat(vm.shOrFail("cat " + dir + "/memory.max").strip()).isEqualTo(Long.toString(64L * 1024 * 1024));
    assertThat(vm.shOrFail("cat " + dir + "/cpu.max").strip()).isEqualTo("50000 100000");
    System.out.printf("[vm-cgroup] %s: memory.max=%s cpu.max=%s cpu.weight=%s%n", cgroup,
        vm.shOrFail("cat " + dir + "/memory.max").strip(), vm.shOrFail("cat " + dir + "/cpu.max").strip(),
        vm.shOrFail("cat " + dir + "/cpu.weight").strip());

    long restartStart = System.nanoTime();
    vm.shOrFail("timeout 300 systemctl restart berthd && systemctl is-active berthd");
    long restarted = System.nanoTime();
    assertThat(vm.shOrFail("kill -0 " + pid + " && echo alive").strip()).isEqualTo("alive");
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .untilAsserted(() -> assertThat(Pods.status(client, id).getState())
            .isEqualTo(ContainerState.CONTAINER_RUNNING));
    assertThat(pid(client, id)).as("the same process after the restart").isEqualTo(pid);
    assertThat(vm.shOrFail("systemctl status berthd --no-pager | head -n 5")).contains("active (running)");

    // stop, then start: KillMode=process ends berthd alone; the container waits under conmon.
    vm.shOrFail("timeout 120 systemctl stop berthd");
    assertThat(vm.sh("systemctl is-active berthd", Duration.ofSeconds(30)).output().strip()).isEqualTo("inactive");
    assertThat(vm.shOrFail("kill -0 " + pid + " && echo alive").strip()).isEqualTo("alive");
    vm.shOrFail("timeout 300 systemctl start berthd");
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .untilAsserted(() -> assertThat(Pods.status(client, id).getState())
            .isEqualTo(ContainerState.CONTAINER_RUNNING));
    System.out.printf("[vm-timing] pull %d ms, pod+container %d ms, systemctl restart %d ms%n",
        (pulled - pullStart) / 1_000_000, (started - pulled) / 1_000_000, (restarted - restartStart) / 1_000_000);
    Pods.removeAll(client);
  }

  /**
   * Under the systemd driver each container is a transient scope {@code berth-<id>.scope} in the
   * kubelet's pod slice, which systemd nests by its dashes (runc's {@code slice:prefix:name} with
   * {@code --systemd-cgroup}).
   */
  @Test
  @Order(4)
  void containerRunsInItsOwnScopeInsideThePodSlice() {
    CriClient client = vm.client();
    CriCalls.pull(client, image);
    PodSandboxConfig.Builder podBuilder = Pods.podConfig("scoped", Path.of("/var/log/pods/scoped"));
    String uid = podBuilder.getMetadata().getUid().replace('-', '_');
    PodSandboxConfig podConfig = podBuilder.setLinux(LinuxPodSandboxConfig.newBuilder()
            .setCgroupParent("kubepods-besteffort-pod" + uid + ".slice")
            .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
                NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE))))
        .build();
    String pod = Pods.runPod(client, podConfig);
    String id = Pods.run(client, pod, podConfig,
        Pods.containerConfig("scoped", image, "/bin/sh", "-c", "while true; do sleep 1; done").build());
    try {
      String cgroup = vm.shOrFail("cat /proc/" + pid(client, id) + "/cgroup").strip();
      assertThat(cgroup).isEqualTo("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uid
          + ".slice/berth-" + id + ".scope");
      assertThat(vm.shOrFail("systemctl is-active berth-" + id + ".scope").strip()).isEqualTo("active");
    } finally {
      Pods.removeAll(client);
    }
  }

  @Test
  @Order(5)
  void aRuntimeHandlerThatDoesNotExistIsRefused() {
    CriClient client = vm.client();
    PodSandboxConfig podConfig = hostNetworkPod("nohandler", "").build();
    assertThatThrownBy(() -> client.runtime(60_000).runPodSandbox(RunPodSandboxRequest.newBuilder()
        .setConfig(podConfig).setRuntimeHandler("no-such-handler").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).as("%s", e.getStatus())
              .isIn(Status.Code.INVALID_ARGUMENT, Status.Code.NOT_FOUND);
          assertThat(e.getStatus().getDescription()).contains("no-such-handler");
        });
    Pods.removeAll(client);
  }

  /** A cgroupfs path where the systemd driver needs a slice name: refused before anything runs. */
  @Test
  @Order(6)
  void aCgroupParentThatIsNoSliceIsInvalidArgument() {
    CriClient client = vm.client();
    PodSandboxConfig podConfig = hostNetworkPod("noslice", "/kubepods/besteffort/pod1").build();
    try {
      assertThatThrownBy(() -> {
        String pod = Pods.runPod(client, podConfig);
        Pods.create(client, pod, podConfig, Pods.containerConfig("noslice", image, "/bin/true").build());
      }).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
        assertThat(e.getStatus().getCode()).as("%s", e.getStatus()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).contains("/kubepods/besteffort/pod1", "slice");
      });
    } finally {
      Pods.removeAll(client);
    }
  }

  /** The kernel's minimum CFS quota is 1 ms: less is refused with the value named. */
  @Test
  @Order(7)
  void aCpuQuotaBelowTheMinimumIsInvalidArgument() {
    CriClient client = vm.client();
    CriCalls.pull(client, image);
    PodSandboxConfig.Builder podBuilder = hostNetworkPod("lowquota", "");
    String uid = podBuilder.getMetadata().getUid().replace('-', '_');
    podBuilder.getLinuxBuilder().setCgroupParent("kubepods-burstable-pod" + uid + ".slice");
    PodSandboxConfig podConfig = podBuilder.build();
    String pod = Pods.runPod(client, podConfig);
    var config = Pods.containerConfig("lowquota", image, "/bin/true");
    config.getLinuxBuilder().setResources(LinuxContainerResources.newBuilder().setCpuPeriod(100_000).setCpuQuota(500));
    try {
      assertThatThrownBy(() -> Pods.create(client, pod, podConfig, config.build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).as("%s", e.getStatus()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).contains("500");
          });
    } finally {
      Pods.removeAll(client);
    }
  }

  /**
   * A node reboot: berthd.service (enabled by the package) comes back, finds the container gone
   * and reports it exited; the pod can be run again. Last, since it reboots the guest.
   */
  @Test
  @Order(8)
  void afterAGuestRebootBerthdComesBackReportsTheContainerExitedAndThePodRunsAgain() {
    CriClient client = vm.client();
    CriCalls.pull(client, image);
    PodSandboxConfig.Builder podBuilder = hostNetworkPod("reboot", "");
    String uid = podBuilder.getMetadata().getUid().replace('-', '_');
    podBuilder.getLinuxBuilder().setCgroupParent("kubepods-besteffort-pod" + uid + ".slice");
    PodSandboxConfig podConfig = podBuilder.build();
    var config = Pods.containerConfig("reboot", image, "/bin/sh", "-c", "while true; do sleep 1; done").build();
    String pod = Pods.runPod(client, podConfig);
    String id = Pods.run(client, pod, podConfig, config);
    assertThat(Pods.status(client, id).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);

    long rebootStart = System.nanoTime();
    vm.reboot();
    vm.shOrFail("timeout 300 bash -c 'until systemctl is-active -q berthd; do sleep 1; done'");
    long back = System.nanoTime();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .untilAsserted(() -> assertThat(Pods.status(client, id).getState())
            .isEqualTo(ContainerState.CONTAINER_EXITED));
    Pods.removeAll(client);
    String again = Pods.runPod(client, podConfig);
    String rerun = Pods.run(client, again, podConfig, config);
    assertThat(Pods.status(client, rerun).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);
    Pods.removeAll(client);
    System.out.printf("[vm-timing] reboot until berthd active %d ms%n", (back - rebootStart) / 1_000_000);
  }

  private static PodSandboxConfig.Builder hostNetworkPod(String name, String cgroupParent) {
    return Pods.podConfig(name, Path.of("/var/log/pods/" + name)).setLinux(LinuxPodSandboxConfig.newBuilder()
        .setCgroupParent(cgroupParent)
        .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
            NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE))));
  }

  private static long pid(CriClient client, String id) {
    String info = client.runtime(30_000).containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id)
        .setVerbose(true).build()).getInfoMap().get("info");
    Matcher matcher = PID.matcher(info);
    assertThat(matcher.find()).as("pid in verbose info").isTrue();
    return Long.parseLong(matcher.group(1));
  }
}
