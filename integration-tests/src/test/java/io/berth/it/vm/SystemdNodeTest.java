package io.berth.it.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.berth.cri.client.CriClient;
import io.berth.it.harness.Pods;
import io.berth.proto.runtime.v1.CgroupDriver;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.ContainerState;
import io.berth.proto.runtime.v1.LinuxContainerResources;
import io.berth.proto.runtime.v1.ListPodSandboxRequest;
import io.berth.proto.runtime.v1.Mount;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.RuntimeConfigRequest;
import io.berth.proto.runtime.v1.StatusRequest;
import io.berth.proto.runtime.v1.VersionRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * berth's Debian package on a real systemd node with a pure cgroup v2 hierarchy (the shared qemu
 * guest, {@link BerthNode}): berthd.service under systemd (Type=notify, journald), each conmon and
 * each container in a scope of its own, restarts and stops of the service that no container
 * notices, {@code berthctl doctor}, and the bad input a node must refuse. Runs with
 * {@code -Dberth.vm=true} ({@code make vm-test}, and {@code make test}).
 */
@EnabledIfSystemProperty(named = "berth.vm", matches = "true")
@ExtendWith(BerthNode.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SystemdNodeTest {
  private static final String LOOP = "while true; do echo tick; sleep 1; done";

  @Test
  @Order(1)
  void guestIsASystemdNodeOnCgroupV2() {
    BerthNode node = BerthNode.node();
    assertThat(node.sh("stat -fc %T /sys/fs/cgroup").strip()).isEqualTo("cgroup2fs");
    assertThat(node.read("/sys/fs/cgroup/cgroup.controllers")).contains("cpu", "memory", "pids", "hugetlb");
    assertThat(node.read("/proc/1/comm")).isEqualTo("systemd");
  }

  @Test
  @Order(2)
  void berthdAnswersThroughTheForwardedPortWithTheSystemdDriver() {
    BerthNode node = BerthNode.node();
    CriClient client = node.client();
    assertThat(client.runtime(30_000).version(VersionRequest.getDefaultInstance()).getRuntimeName())
        .isEqualTo("berth");
    var conditions = client.runtime(30_000).status(StatusRequest.getDefaultInstance()).getStatus().getConditionsList();
    assertThat(conditions).anyMatch(c -> c.getType().equals("RuntimeReady") && c.getStatus());
    assertThat(client.runtime(30_000).runtimeConfig(RuntimeConfigRequest.getDefaultInstance()).getLinux()
        .getCgroupDriver()).isEqualTo(CgroupDriver.SYSTEMD);
    String show = node.sh("systemctl show berthd -p Type -p ActiveState -p SubState");
    assertThat(show).contains("Type=notify", "ActiveState=active", "SubState=running");
    assertThat(node.sh("journalctl -u berthd --no-pager -o cat")).as("berthd's log lines in journald")
        .contains("serving socket=/run/berth/berth.sock");
  }

  /**
   * The container is in {@code berth-<id>.scope} inside the kubelet's pod slice, its conmon in
   * {@code berth-conmon-<id>.scope} in system.slice: neither belongs to berthd.service.
   */
  @Test
  @Order(3)
  void containerAndItsConmonRunInScopesOfTheirOwn() {
    BerthNode node = BerthNode.node();
    PodSandboxConfig podConfig = BerthNode.pod("scoped", "besteffort").build();
    String uid = podConfig.getMetadata().getUid().replace('-', '_');
    String pod = node.runPod(podConfig, "");
    String id = Pods.run(node.client(), pod, podConfig, Pods.containerConfig("scoped", node.image(),
        "/bin/sh", "-c", LOOP).build());
    try {
      long pid = node.pid(id);
      assertThat(node.cgroupOf(pid)).isEqualTo("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
          + uid + ".slice/berth-" + id + ".scope");
      assertThat(node.sh("systemctl is-active berth-" + id + ".scope").strip()).isEqualTo("active");
      long conmon = conmonOf(node, pid);
      assertThat(node.read("/proc/" + conmon + "/comm")).isEqualTo("conmon");
      assertThat(node.cgroupOf(conmon)).isEqualTo("/system.slice/berth-conmon-" + id + ".scope");
      assertThat(node.sh("systemctl show -p ControlGroup --value berthd").strip())
          .isEqualTo("/system.slice/berthd.service");
    } finally {
      Pods.removeAll(node.client());
    }
    assertThat(node.units(id)).as("no scope of the container or its conmon after removal").isEmpty();
  }

  /**
   * Ten containers: {@code systemctl restart berthd}, then {@code stop} and {@code start}. All keep
   * running with the same PIDs and their logs keep growing; two told to exit while berthd is
   * stopped are reported with their exit codes afterwards.
   */
  @Test
  @Order(4)
  void tenContainersOutliveRestartAndStopOfBerthdAndExitsMeanwhileAreRecovered() {
    BerthNode node = BerthNode.node();
    CriClient client = node.client();
    node.sh("rm -rf /run/berth-test-signal && mkdir -p /run/berth-test-signal");
    PodSandboxConfig podConfig = BerthNode.pod("ten", "burstable").build();
    String pod = node.runPod(podConfig, "");
    List<String> tickers = new ArrayList<>();
    Map<String, Integer> quitters = new HashMap<>();
    try {
      for (int i = 0; i < 8; i++) {
        tickers.add(Pods.run(client, pod, podConfig, Pods.containerConfig("tick" + i, node.image(),
            "/bin/sh", "-c", LOOP).build()));
      }
      for (int code : List.of(3, 7)) {
        ContainerConfig config = Pods.containerConfig("quit" + code, node.image(), "/bin/sh", "-c",
                "until [ -e /signal/go ]; do sleep 0.2; done; exit " + code)
            .addMounts(Mount.newBuilder().setHostPath("/run/berth-test-signal").setContainerPath("/signal"))
            .build();
        quitters.put(Pods.run(client, pod, podConfig, config), code);
      }
      Map<String, Long> pids = new HashMap<>();
      for (String id : tickers) {
        pids.put(id, node.pid(id));
      }
      Map<String, Long> logSizes = logSizes(node, tickers);

      long restartStart = System.nanoTime();
      node.sh("timeout 300 systemctl restart berthd && systemctl is-active berthd");
      long restarted = System.nanoTime();
      awaitRunning(client, tickers);
      for (String id : tickers) {
        assertThat(node.pid(id)).as("the same process after the restart").isEqualTo(pids.get(id));
      }

      node.sh("timeout 120 systemctl stop berthd");
      assertThat(node.vm().sh("systemctl is-active berthd", Duration.ofSeconds(30)).output().strip())
          .isEqualTo("inactive");
      node.sh("touch /run/berth-test-signal/go");
      for (String id : quitters.keySet()) {
        node.awaitInGuest("[ -s /run/berth/exits/" + id + " ]", Duration.ofSeconds(60));
      }
      for (String id : tickers) {
        assertThat(node.sh("kill -0 " + pids.get(id) + " && echo alive").strip()).isEqualTo("alive");
      }
      node.sh("timeout 300 systemctl start berthd");
      awaitRunning(client, tickers);
      for (var quitter : quitters.entrySet()) {
        var status = Pods.status(client, quitter.getKey());
        assertThat(status.getState()).isEqualTo(ContainerState.CONTAINER_EXITED);
        assertThat(status.getExitCode()).as("exit code recovered").isEqualTo(quitter.getValue());
      }
      Map<String, Long> later = logSizes(node, tickers);
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        Map<String, Long> now = logSizes(node, tickers);
        for (String id : tickers) {
          assertThat(now.get(id)).as("log of %s grows after the start", id).isGreaterThan(later.get(id));
        }
      });
      for (String id : tickers) {
        assertThat(later.get(id)).as("log of %s grew across restart and stop", id).isGreaterThan(logSizes.get(id));
      }
      System.out.printf("[vm-timing] systemctl restart with 10 containers %d ms%n",
          (restarted - restartStart) / 1_000_000);
    } finally {
      Pods.removeAll(client);
    }
  }

  /** With the package's example CNI configuration in place, every check of berthctl doctor passes. */
  @Test
  @Order(5)
  void berthctlDoctorFindsNothingToFixOnTheNode() {
    BerthNode node = BerthNode.node();
    node.sh("mkdir -p /etc/cni/net.d && cp /usr/share/berth/cni/10-berth-bridge.conflist /etc/cni/net.d/"
        + " && systemctl reload berthd");
    try {
      GuestVm.Result doctor = node.vm().sh("berthctl doctor", Duration.ofMinutes(2));
      System.out.println("[vm-doctor]\n" + doctor.output());
      assertThat(doctor.exitCode()).as(doctor.output()).isZero();
      assertThat(doctor.output().lines()).noneMatch(l -> l.startsWith("FAIL"));
      assertThat(doctor.output()).contains(", 0 FAIL");
      // Debian 12's runc 1.1.5 has known CVEs: the one warning a node operator must act on, by design.
      assertThat(doctor.output().lines().filter(l -> l.startsWith("WARN")))
          .allMatch(l -> l.startsWith("WARN  runtime-"), "only a runtime version warns");
    } finally {
      node.sh("rm -f /etc/cni/net.d/10-berth-bridge.conflist && systemctl reload berthd");
    }
  }

  @Test
  @Order(6)
  void aRuntimeHandlerThatDoesNotExistIsRefused() {
    BerthNode node = BerthNode.node();
    PodSandboxConfig podConfig = BerthNode.pod("nohandler", "").build();
    assertThatThrownBy(() -> node.runPod(podConfig, "no-such-handler"))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).as("%s", e.getStatus())
              .isIn(Status.Code.INVALID_ARGUMENT, Status.Code.NOT_FOUND);
          assertThat(e.getStatus().getDescription()).contains("no-such-handler");
        });
    Pods.removeAll(node.client());
  }

  /** A cgroupfs path, or a slice name systemd would not accept: refused before anything is made. */
  @Test
  @Order(7)
  void aMalformedCgroupParentIsInvalidArgument() {
    BerthNode node = BerthNode.node();
    for (String parent : List.of("/kubepods/besteffort/pod1", "kubepods--besteffort.slice", "kubepods-.slice",
        "kube pods.slice", "kubepods.slice/x.slice")) {
      PodSandboxConfig podConfig = BerthNode.pod("noslice", "").setLinux(BerthNode.pod("noslice", "").getLinux()
          .toBuilder().setCgroupParent(parent)).build();
      assertThatThrownBy(() -> node.runPod(podConfig, ""))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).as("%s", e.getStatus()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).contains(parent, "not a systemd slice name");
          });
    }
    assertThat(node.client().runtime(30_000).listPodSandbox(
        ListPodSandboxRequest.getDefaultInstance()).getItemsList()).isEmpty();
  }

  /** The kernel's minimum CFS quota is 1 ms: less is refused with the value named. */
  @Test
  @Order(8)
  void aCpuQuotaBelowTheMinimumIsInvalidArgument() {
    BerthNode node = BerthNode.node();
    PodSandboxConfig podConfig = BerthNode.pod("lowquota", "burstable").build();
    String pod = node.runPod(podConfig, "");
    var config = Pods.containerConfig("lowquota", node.image(), "/bin/true");
    config.getLinuxBuilder().setResources(LinuxContainerResources.newBuilder().setCpuPeriod(100_000).setCpuQuota(500));
    try {
      assertThatThrownBy(() -> Pods.create(node.client(), pod, podConfig, config.build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).as("%s", e.getStatus()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).contains("500");
          });
    } finally {
      Pods.removeAll(node.client());
    }
  }

  /**
   * A limit above the node's memory is a ceiling, not a reservation: Kubernetes allows it (limits
   * may overcommit), so berthd runs the container with that memory.max, as runc and crun do.
   */
  @Test
  @Order(9)
  void aMemoryLimitAboveTheNodesMemoryIsAppliedAsACeiling() {
    BerthNode node = BerthNode.node();
    long nodeBytes = 1024 * Long.parseLong(node.sh("awk '/MemTotal/{print $2}' /proc/meminfo").strip());
    long limit = 1L << 40; // 1 TiB on a 4 GiB guest
    assertThat(limit).isGreaterThan(nodeBytes);
    PodSandboxConfig podConfig = BerthNode.pod("bigmem", "burstable").build();
    String pod = node.runPod(podConfig, "");
    var config = Pods.containerConfig("bigmem", node.image(), "/bin/sh", "-c", LOOP);
    config.getLinuxBuilder().setResources(LinuxContainerResources.newBuilder().setMemoryLimitInBytes(limit));
    try {
      String id = Pods.run(node.client(), pod, podConfig, config.build());
      String dir = "/sys/fs/cgroup" + node.cgroupOf(node.pid(id));
      assertThat(node.read(dir + "/memory.max")).isEqualTo(Long.toString(limit));
      assertThat(Pods.status(node.client(), id).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);
    } finally {
      Pods.removeAll(node.client());
    }
  }

  private static long conmonOf(BerthNode node, long pid) {
    return Long.parseLong(node.sh("awk '/^PPid:/{print $2}' /proc/" + pid + "/status").strip());
  }

  private static void awaitRunning(CriClient client, List<String> ids) {
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .untilAsserted(() -> {
          for (String id : ids) {
            assertThat(Pods.status(client, id).getState()).as(id).isEqualTo(ContainerState.CONTAINER_RUNNING);
          }
        });
  }

  /** Each container's CRI log size in bytes. */
  private static Map<String, Long> logSizes(BerthNode node, List<String> ids) {
    Map<String, Long> sizes = new HashMap<>();
    for (String id : ids) {
      String path = Pods.status(node.client(), id).getLogPath();
      sizes.put(id, Long.parseLong(node.sh("stat -c %s " + path).strip()));
    }
    return sizes;
  }
}
