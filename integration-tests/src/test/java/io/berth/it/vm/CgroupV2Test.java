package io.berth.it.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.cri.client.CriClient;
import io.berth.it.harness.Pods;
import io.berth.proto.runtime.v1.CgroupDriver;
import io.berth.proto.runtime.v1.ContainerState;
import io.berth.proto.runtime.v1.ContainerStats;
import io.berth.proto.runtime.v1.ContainerStatsRequest;
import io.berth.proto.runtime.v1.ExecSyncRequest;
import io.berth.proto.runtime.v1.ExecSyncResponse;
import io.berth.proto.runtime.v1.HugepageLimit;
import io.berth.proto.runtime.v1.LinuxContainerResources;
import io.berth.proto.runtime.v1.ListPodSandboxMetricsRequest;
import io.berth.proto.runtime.v1.Metric;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PodSandboxStats;
import io.berth.proto.runtime.v1.PodSandboxStatsRequest;
import io.berth.proto.runtime.v1.RuntimeConfigRequest;
import io.berth.proto.runtime.v1.StopContainerRequest;
import io.berth.proto.runtime.v1.UpdateContainerResourcesRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * cgroup v2 on the shared guest node ({@link BerthNode}), with both runtime handlers where the
 * runtime does the work: each CRI resource in its v2 file, a live update, stats read from the v2
 * files, an OOM kill reported as {@code OOMKilled}, every cgroup berth made gone after removal,
 * and the cgroupfs driver on the same unified hierarchy.
 */
@EnabledIfSystemProperty(named = "berth.vm", matches = "true")
@ExtendWith(BerthNode.class)
class CgroupV2Test {
  private static final long MIB = 1024 * 1024;
  private static final String LOOP = "trap 'exit 0' TERM; while true; do sleep 1; done";

  /** runc and crun write the same v2 files from the same CRI resources, at create and at update. */
  @ParameterizedTest
  @ValueSource(strings = {"runc", "crun"})
  void resourcesLandInTheirV2FilesAndAreUpdatedLive(String handler) {
    BerthNode node = BerthNode.node();
    CriClient client = node.client();
    PodSandboxConfig podConfig = BerthNode.pod("res-" + handler, "burstable").build();
    String pod = node.runPod(podConfig, handler);
    var config = Pods.containerConfig("res", node.image(), "/bin/sh", "-c", LOOP);
    config.getLinuxBuilder().setResources(LinuxContainerResources.newBuilder()
        .setMemoryLimitInBytes(64 * MIB).setMemorySwapLimitInBytes(96 * MIB)
        .setCpuPeriod(100_000).setCpuQuota(50_000).setCpuShares(512)
        .setCpusetCpus("0").setCpusetMems("0")
        .addHugepageLimits(HugepageLimit.newBuilder().setPageSize("2MB").setLimit(4 * MIB))
        .putUnified("memory.high", Long.toString(48 * MIB))
        .putUnified("pids.max", "64"));
    try {
      String id = Pods.run(client, pod, podConfig, config.build());
      String dir = "/sys/fs/cgroup" + node.cgroupOf(node.pid(id));
      Map<String, String> files = read(node, dir, "memory.max", "memory.swap.max", "memory.high", "cpu.max",
          "cpu.weight", "cpuset.cpus", "cpuset.mems", "pids.max", "hugetlb.2MB.max");
      System.out.printf("[vm-cgroup] %s %s: %s%n", handler, dir, files);
      assertThat(files).containsEntry("memory.max", Long.toString(64 * MIB))
          .containsEntry("memory.swap.max", Long.toString(32 * MIB)) // CRI's limit is memory plus swap
          .containsEntry("memory.high", Long.toString(48 * MIB))
          .containsEntry("cpu.max", "50000 100000")
          .containsEntry("cpu.weight", "20") // 1 + (512 - 2) * 9999 / 262142, the kubelet's and runc's formula
          .containsEntry("cpuset.cpus", "0").containsEntry("cpuset.mems", "0")
          .containsEntry("pids.max", "64")
          .containsEntry("hugetlb.2MB.max", Long.toString(4 * MIB));
      // Inside, the container's cgroup namespace shows its own cgroup as the root.
      assertThat(exec(client, id, "cat", "/proc/self/cgroup")).isEqualTo("0::/");
      assertThat(exec(client, id, "cat", "/sys/fs/cgroup/memory.max")).isEqualTo(Long.toString(64 * MIB));

      client.runtime(60_000).updateContainerResources(UpdateContainerResourcesRequest.newBuilder()
          .setContainerId(id).setLinux(LinuxContainerResources.newBuilder()
              .setMemoryLimitInBytes(128 * MIB).setMemorySwapLimitInBytes(128 * MIB)
              .setCpuPeriod(100_000).setCpuQuota(20_000).setCpuShares(1024)
              .putUnified("pids.max", "32"))
          .build());
      Map<String, String> updated = read(node, dir, "memory.max", "memory.swap.max", "cpu.max", "cpu.weight",
          "pids.max");
      System.out.printf("[vm-cgroup] %s updated: %s%n", handler, updated);
      assertThat(updated).containsEntry("memory.max", Long.toString(128 * MIB))
          .containsEntry("memory.swap.max", "0")
          .containsEntry("cpu.max", "20000 100000")
          .containsEntry("cpu.weight", "39")
          .containsEntry("pids.max", "32");
      assertThat(Pods.status(client, id).getResources().getLinux().getMemoryLimitInBytes()).isEqualTo(128 * MIB);
      assertThat(Pods.status(client, id).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);
    } finally {
      Pods.removeAll(client);
    }
  }

  /** The lifecycle and exec with each handler: run, exec, a stop that the container's trap answers, removal. */
  @ParameterizedTest
  @ValueSource(strings = {"runc", "crun"})
  void lifecycleAndExecWork(String handler) {
    BerthNode node = BerthNode.node();
    CriClient client = node.client();
    PodSandboxConfig podConfig = BerthNode.pod("life-" + handler, "besteffort").build();
    String pod = node.runPod(podConfig, handler);
    String id = Pods.run(client, pod, podConfig, Pods.containerConfig("life", node.image(), "/bin/sh", "-c", LOOP)
        .build());
    try {
      assertThat(Pods.status(client, id).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);
      // crun puts the process one level down, in <scope>/container: a v2 cgroup with children holds no process.
      assertThat(node.cgroupOf(node.pid(id))).containsPattern("/berth-" + id + "\\.scope(/container)?$");
      assertThat(exec(client, id, "id", "-u")).isEqualTo("0");
      assertThat(exec(client, id, "sh", "-c", "echo out; echo err >&2; exit 0")).isEqualTo("out");
      ExecSyncResponse failed = client.runtime(60_000).execSync(ExecSyncRequest.newBuilder().setContainerId(id)
          .addAllCmd(List.of("sh", "-c", "exit 5")).setTimeout(30).build());
      assertThat(failed.getExitCode()).isEqualTo(5);
      client.runtime(60_000).stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(20)
          .build());
      var status = Pods.status(client, id);
      assertThat(status.getState()).isEqualTo(ContainerState.CONTAINER_EXITED);
      assertThat(status.getExitCode()).as("SIGTERM reached the container's trap").isZero();
    } finally {
      Pods.removeAll(client);
    }
    assertThat(node.units(id)).as("no scope left").isEmpty();
  }

  /** memory.events counts an OOM kill in the container's cgroup: the exit is reported as OOMKilled. */
  @ParameterizedTest
  @ValueSource(strings = {"runc", "crun"})
  void anOomKillIsReportedAsOomKilled(String handler) {
    BerthNode node = BerthNode.node();
    CriClient client = node.client();
    PodSandboxConfig podConfig = BerthNode.pod("oom-" + handler, "burstable").build();
    String pod = node.runPod(podConfig, handler);
    // dd's 64 MiB buffer does not fit in 32 MiB: the kernel kills dd, the container's PID 1.
    var config = Pods.containerConfig("oom", node.image(), "dd", "if=/dev/zero", "of=/dev/null", "bs=64M",
        "count=1");
    config.getLinuxBuilder().setResources(LinuxContainerResources.newBuilder().setMemoryLimitInBytes(32 * MIB)
        .setMemorySwapLimitInBytes(32 * MIB));
    try {
      String id = Pods.run(client, pod, podConfig, config.build());
      var status = Pods.awaitExited(client, id, Duration.ofSeconds(60));
      assertThat(status.getReason()).as("%s", status).isEqualTo("OOMKilled");
      assertThat(status.getExitCode()).isEqualTo(137);
    } finally {
      Pods.removeAll(client);
    }
  }

  /**
   * ContainerStats, PodSandboxStats and the pod's metrics read the v2 files: usage is
   * memory.current, the working set usage less inactive_file (as the kubelet computes it), CPU
   * cpu.stat's usage_usec, processes pids.current.
   */
  @Test
  void statsComeFromTheV2Files() {
    BerthNode node = BerthNode.node();
    CriClient client = node.client();
    PodSandboxConfig podConfig = BerthNode.pod("stats", "burstable").build();
    String pod = node.runPod(podConfig, "");
    var config = Pods.containerConfig("stats", node.image(), "/bin/sh", "-c",
        "dd if=/dev/zero of=/tmp/fill bs=1M count=16 2>/dev/null; sync; " + LOOP);
    config.getLinuxBuilder().setResources(LinuxContainerResources.newBuilder().setMemoryLimitInBytes(256 * MIB));
    try {
      String id = Pods.run(client, pod, podConfig, config.build());
      String dir = "/sys/fs/cgroup" + node.cgroupOf(node.pid(id));
      node.awaitInGuest("[ -e /proc/" + node.pid(id) + " ] && [ $(cat " + dir + "/pids.current) -ge 2 ]",
          Duration.ofSeconds(60));
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        Map<String, String> before = read(node, dir, "memory.current");
        ContainerStats stats = client.runtime(30_000).containerStats(ContainerStatsRequest.newBuilder()
            .setContainerId(id).build()).getStats();
        String memoryStat = node.sh("cat " + dir + "/memory.stat");
        Map<String, String> after = read(node, dir, "memory.current", "pids.current");
        long inactiveFile = value(memoryStat, "inactive_file");
        long usage = stats.getMemory().getUsageBytes().getValue();
        System.out.printf("[vm-stats] memory.current %s..%s inactive_file %d; CRI usage %d working set %d cpu %d%n",
            before.get("memory.current"), after.get("memory.current"), inactiveFile, usage,
            stats.getMemory().getWorkingSetBytes().getValue(), stats.getCpu().getUsageCoreNanoSeconds().getValue());
        assertThat(usage).isBetween(Math.min(Long.parseLong(before.get("memory.current")),
            Long.parseLong(after.get("memory.current"))) - MIB, Math.max(Long.parseLong(before.get("memory.current")),
            Long.parseLong(after.get("memory.current"))) + MIB);
        assertThat(inactiveFile).as("the 16 MiB file is page cache").isPositive();
        assertThat(stats.getMemory().getWorkingSetBytes().getValue())
            .isBetween(usage - inactiveFile - 2 * MIB, usage - inactiveFile + 2 * MIB);
        assertThat(stats.getMemory().getAvailableBytes().getValue())
            .isEqualTo(256 * MIB - stats.getMemory().getWorkingSetBytes().getValue());
        assertThat(stats.getCpu().getUsageCoreNanoSeconds().getValue()).isPositive();
      });
      long usageUsec = value(node.sh("cat " + dir + "/cpu.stat"), "usage_usec");
      long cpu = client.runtime(30_000).containerStats(ContainerStatsRequest.newBuilder().setContainerId(id).build())
          .getStats().getCpu().getUsageCoreNanoSeconds().getValue();
      assertThat(cpu).as("cpu.stat usage_usec in ns").isGreaterThanOrEqualTo(usageUsec * 1000);

      PodSandboxStats podStats = client.runtime(30_000).podSandboxStats(PodSandboxStatsRequest.newBuilder()
          .setPodSandboxId(pod).build()).getStats();
      String podDir = dir.substring(0, dir.lastIndexOf('/'));
      long podPids = Long.parseLong(node.read(podDir + "/pids.current"));
      assertThat(podStats.getLinux().getProcess().getProcessCount().getValue()).isBetween(1L, podPids + 2);
      assertThat(podStats.getLinux().getMemory().getUsageBytes().getValue()).isPositive();
      assertThat(podStats.getLinux().getContainersList()).extracting(s -> s.getAttributes().getId()).contains(id);

      List<Metric> metrics = client.runtime(30_000).listPodSandboxMetrics(ListPodSandboxMetricsRequest
          .getDefaultInstance()).getPodMetricsList().stream().filter(m -> m.getPodSandboxId().equals(pod))
          .flatMap(m -> m.getContainerMetricsList().stream()).filter(c -> c.getContainerId().equals(id))
          .flatMap(c -> c.getMetricsList().stream()).toList();
      assertThat(metrics).extracting(Metric::getName).contains("container_memory_working_set_bytes",
          "container_cpu_usage_seconds_total");
    } finally {
      Pods.removeAll(client);
    }
  }

  /**
   * After removal nothing berth made is left in the tree: not the containers' scopes, not the
   * conmons' scopes, not the slice berthd made for a pod the kubelet named no parent for. A
   * kubelet-named slice is the kubelet's to remove; it is left empty.
   */
  @Test
  void removalLeavesNoCgroupBerthMade() {
    BerthNode node = BerthNode.node();
    CriClient client = node.client();
    PodSandboxConfig own = BerthNode.pod("own", "").build();
    PodSandboxConfig kubelets = BerthNode.pod("kubelets", "besteffort").build();
    String ownPod = node.runPod(own, "");
    String kubeletPod = node.runPod(kubelets, "");
    String a = Pods.run(client, ownPod, own, Pods.containerConfig("a", node.image(), "/bin/sh", "-c", LOOP).build());
    String b = Pods.run(client, kubeletPod, kubelets, Pods.containerConfig("b", node.image(), "/bin/sh", "-c", LOOP)
        .build());
    String aCgroup = node.cgroupOf(node.pid(a));
    String bCgroup = node.cgroupOf(node.pid(b));
    assertThat(aCgroup).isEqualTo("/berth.slice/berth-pod" + ownPod + ".slice/berth-" + a + ".scope");
    // The pod's slice, its infra container's scope and conmon scope, its /dev/shm mount unit.
    assertThat(node.units(ownPod)).contains("berth-pod" + ownPod + ".slice", "berth-" + ownPod + ".scope",
        "berth-conmon-" + ownPod + ".scope");
    Pods.removeAll(client);

    assertThat(node.units(ownPod)).as("berthd's pod slice, the infra scopes, the shm mount").isEmpty();
    assertThat(node.units(kubeletPod)).as("the infra scopes, the shm mount").isEmpty();
    assertThat(node.units(a)).as("scopes of a").isEmpty();
    assertThat(node.units(b)).as("scopes of b").isEmpty();
    String ownSliceDir = "/sys/fs/cgroup" + aCgroup.substring(0, aCgroup.lastIndexOf('/'));
    String kubeletSliceDir = "/sys/fs/cgroup" + bCgroup.substring(0, bCgroup.lastIndexOf('/'));
    assertThat(node.sh("test -e " + ownSliceDir + " && echo present || echo gone").strip()).isEqualTo("gone");
    assertThat(node.sh("ls " + kubeletSliceDir + " | grep -c '^berth-' || true").strip()).isEqualTo("0");
    assertThat(node.sh("ls /sys/fs/cgroup/system.slice | grep -c '^berth-conmon-' || true").strip())
        .as("conmon scopes").isEqualTo("0");
  }

  /** berthd's other driver on the same unified tree: cgroupfs paths, the v2 files, removal by rmdir. */
  @Test
  void theCgroupfsDriverWorksOnCgroupV2Too() {
    BerthNode node = BerthNode.node();
    CriClient client = node.client();
    node.restartWith(BerthNode.SYSTEMD_CONFIG.replace("\"systemd\"", "\"cgroupfs\""));
    try {
      assertThat(client.runtime(30_000).runtimeConfig(RuntimeConfigRequest.getDefaultInstance()).getLinux()
          .getCgroupDriver()).isEqualTo(CgroupDriver.CGROUPFS);
      PodSandboxConfig.Builder builder = BerthNode.pod("fs", "");
      String uid = builder.getMetadata().getUid();
      PodSandboxConfig kubelets = builder.setLinux(builder.getLinux().toBuilder()
          .setCgroupParent("/kubepods/besteffort/pod" + uid)).build();
      PodSandboxConfig own = BerthNode.pod("fsown", "").build();
      String kubeletPod = node.runPod(kubelets, "");
      String ownPod = node.runPod(own, "");
      var config = Pods.containerConfig("fs", node.image(), "/bin/sh", "-c", LOOP);
      config.getLinuxBuilder().setResources(LinuxContainerResources.newBuilder().setMemoryLimitInBytes(64 * MIB)
          .setCpuShares(512));
      String a = Pods.run(client, kubeletPod, kubelets, config.build());
      String b = Pods.run(client, ownPod, own, config.build());
      assertThat(node.cgroupOf(node.pid(a))).isEqualTo("/kubepods/besteffort/pod" + uid + "/" + a);
      assertThat(node.cgroupOf(node.pid(b))).isEqualTo("/berth/pod-" + ownPod + "/" + b);
      String dir = "/sys/fs/cgroup/kubepods/besteffort/pod" + uid + "/" + a;
      assertThat(read(node, dir, "memory.max", "cpu.weight")).containsEntry("memory.max", Long.toString(64 * MIB))
          .containsEntry("cpu.weight", "20");
      Pods.removeAll(client);
      assertThat(node.sh("for d in " + dir + " /sys/fs/cgroup/berth/pod-" + ownPod + "; do test -e $d && echo $d; "
          + "done; true").strip()).as("container and berth's pod cgroups removed").isEmpty();
      node.sh("rmdir /sys/fs/cgroup/kubepods/besteffort/pod" + uid + " /sys/fs/cgroup/kubepods/besteffort "
          + "/sys/fs/cgroup/kubepods"); // the kubelet's part, done by hand
    } finally {
      Pods.removeAll(client);
      node.restartWith(BerthNode.SYSTEMD_CONFIG);
    }
  }

  private static String exec(CriClient client, String id, String... command) {
    ExecSyncResponse response = client.runtime(60_000).execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of(command)).setTimeout(30).build());
    assertThat(response.getExitCode()).as(response.getStderr().toString(StandardCharsets.UTF_8)).isZero();
    return response.getStdout().toString(StandardCharsets.UTF_8).strip();
  }

  /** Several files of one cgroup directory, read in one guest call. */
  private static Map<String, String> read(BerthNode node, String dir, String... names) {
    StringBuilder script = new StringBuilder();
    for (String name : names) {
      script.append("printf '%s=' ").append(name).append("; cat ").append(dir).append('/').append(name)
          .append(" 2>/dev/null || echo '(missing)'\n");
    }
    Map<String, String> values = new HashMap<>();
    for (String line : node.sh(script.toString()).lines().toList()) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        values.put(line.substring(0, eq), line.substring(eq + 1).strip());
      }
    }
    return values;
  }

  /** A counter of a "key value" file such as memory.stat or cpu.stat. */
  private static long value(String keyed, String key) {
    return keyed.lines().filter(l -> l.startsWith(key + " ")).mapToLong(l -> Long.parseLong(l.substring(key.length())
        .strip())).findFirst().orElseThrow(() -> new AssertionError(key + " not in\n" + keyed));
  }
}
