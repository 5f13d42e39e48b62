package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.HostTraces;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.ContainerStats;
import io.berth.proto.runtime.v1.ContainerStatsFilter;
import io.berth.proto.runtime.v1.ContainerStatsRequest;
import io.berth.proto.runtime.v1.ContainerStatusRequest;
import io.berth.proto.runtime.v1.ExecSyncRequest;
import io.berth.proto.runtime.v1.ListContainerStatsRequest;
import io.berth.proto.runtime.v1.ListMetricDescriptorsRequest;
import io.berth.proto.runtime.v1.ListPodSandboxMetricsRequest;
import io.berth.proto.runtime.v1.ListPodSandboxStatsRequest;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PodSandboxStatsRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ContainerStats and ListContainerStats against the real cgroup files and the real writable layer. */
class ContainerStatsTest {
  @TempDir Path work;

  @Test
  void cpuMemoryAndWritableLayerMatchWhatTheContainerDoes() throws Exception {
    try (Registry registry = Registry.start(work.resolve("registry"));
        BerthdProcess berthd = BerthdProcess.start(work.resolve("berthd"), "[images]\nusage_interval_seconds = 1\n")) {
      FixtureImages.get().pushAll(registry);
      String image = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
      CriCalls.pull(berthd.client(), image);
      var client = berthd.client();
      PodSandboxConfig podConfig = Pods.podConfig("stats", work.resolve("logs")).build();
      String pod = Pods.runPod(client, podConfig);
      String busy = Pods.run(client, pod, podConfig, Pods.containerConfig("busy", image, "/bin/sh", "-c",
          "while true; do :; done").build());
      String idle = Pods.run(client, pod, podConfig, Pods.containerConfig("idle", image, "sleep", "600").build());

      ContainerStats first = stats(berthd, busy, s -> s.getCpu().getUsageCoreNanoSeconds().getValue() > 0);
      assertThat(first.getAttributes().getMetadata().getName()).isEqualTo("busy");
      assertThat(first.getMemory().getWorkingSetBytes().getValue()).isPositive();
      // The background sampler needs two samples (10 s apart) for a rate.
      ContainerStats rated = stats(berthd, busy, s -> s.getCpu().hasUsageNanoCores());
      assertThat(rated.getCpu().getUsageNanoCores().getValue()).as("about one busy core")
          .isBetween(200_000_000L, 2_100_000_000L);

      // The writable layer: 10 MB written into the container's root.
      client.runtime(30_000).execSync(ExecSyncRequest.newBuilder().setContainerId(idle).addAllCmd(List.of(
          "/bin/sh", "-c", "head -c 10485760 /dev/zero > /data.bin; sync")).setTimeout(20).build());
      ContainerStats grown = stats(berthd, idle, s -> s.getWritableLayer().getUsedBytes().getValue() >= 10_000_000L);
      assertThat(grown.getWritableLayer().getUsedBytes().getValue()).isBetween(10_000_000L, 12_000_000L);
      assertThat(grown.getWritableLayer().getInodesUsed().getValue()).isPositive();
      assertThat(grown.getWritableLayer().getFsId().getMountpoint()).endsWith("/snapshots");

      String cgroup = new String(Files.readAllBytes(Path.of("/proc/" + pidOf(berthd, idle) + "/cgroup")))
          .lines().filter(l -> l.contains(":memory:")).findFirst().orElseThrow().split(":")[2];
      Path memory = Path.of("/sys/fs/cgroup/memory" + cgroup);
      long usage = Long.parseLong(Files.readString(memory.resolve("memory.usage_in_bytes")).strip());
      long inactive = Files.readAllLines(memory.resolve("memory.stat")).stream()
          .filter(l -> l.startsWith("total_inactive_file ")).mapToLong(l -> Long.parseLong(l.split(" ")[1])).sum();
      long reported = stats(berthd, idle, s -> true).getMemory().getWorkingSetBytes().getValue();
      assertThat((double) reported).as("working set within 10% of the cgroup's own numbers")
          .isCloseTo(usage - inactive, Percentage.withPercentage(10));

      var all = client.runtime(10_000).listContainerStats(ListContainerStatsRequest.getDefaultInstance())
          .getStatsList();
      assertThat(all).extracting(s -> s.getAttributes().getId()).containsExactlyInAnyOrder(busy, idle);
      var filtered = client.runtime(10_000).listContainerStats(ListContainerStatsRequest.newBuilder()
          .setFilter(ContainerStatsFilter.newBuilder().putLabelSelector("container", "idle")).build()).getStatsList();
      assertThat(filtered).extracting(s -> s.getAttributes().getId()).containsExactly(idle);
      var podStats = client.runtime(10_000).podSandboxStats(PodSandboxStatsRequest
          .newBuilder().setPodSandboxId(pod).build()).getStats();
      assertThat(podStats.getAttributes().getId()).isEqualTo(pod);
      assertThat(podStats.getLinux().getCpu().getUsageCoreNanoSeconds().getValue()).as("the busy container's CPU")
          .isGreaterThanOrEqualTo(first.getCpu().getUsageCoreNanoSeconds().getValue());
      assertThat(podStats.getLinux().getProcess().getProcessCount().getValue()).as("catatonit, busy, idle")
          .isGreaterThanOrEqualTo(3);
      assertThat(podStats.getLinux().getContainersList()).hasSize(2);
      assertThat(client.runtime(10_000).listPodSandboxStats(ListPodSandboxStatsRequest
          .getDefaultInstance()).getStatsList()).hasSize(1);
      var descriptors = client.runtime(10_000).listMetricDescriptors(
          ListMetricDescriptorsRequest.getDefaultInstance()).getDescriptorsList();
      assertThat(descriptors).extracting(d -> d.getName())
          .contains("container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
              "container_fs_usage_bytes", "container_network_receive_bytes_total");
      var metrics = client.runtime(10_000).listPodSandboxMetrics(
          ListPodSandboxMetricsRequest.getDefaultInstance()).getPodMetricsList();
      assertThat(metrics).singleElement().satisfies(p -> {
        assertThat(p.getPodSandboxId()).isEqualTo(pod);
        assertThat(p.getContainerMetricsList()).extracting(c -> c.getContainerId())
            .containsExactlyInAnyOrder(busy, idle);
        assertThat(p.getContainerMetricsList()).allSatisfy(c -> assertThat(c.getMetricsList())
            .anySatisfy(m -> {
              assertThat(m.getName()).isEqualTo("container_memory_working_set_bytes");
              assertThat(m.getValue().getValue()).isPositive();
              assertThat(m.getLabelValuesList()).hasSize(3).contains(image);
            }));
      });
      Pods.removeAll(client);
      assertThat(HostTraces.of(berthd)).isEmpty();
    }
  }

  private static long pidOf(BerthdProcess berthd, String id) {
    String info = berthd.client().runtime(10_000).containerStatus(ContainerStatusRequest
        .newBuilder().setContainerId(id).setVerbose(true).build()).getInfoMap().get("info");
    var m = Pattern.compile("\"pid\":(\\d+)").matcher(info);
    assertThat(m.find()).isTrue();
    return Long.parseLong(m.group(1));
  }

  /** Polls ContainerStats until {@code ready} holds (at most 20 s). */
  private static ContainerStats stats(BerthdProcess berthd, String id, Predicate<ContainerStats> ready) {
    return await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).alias("stats of " + id)
        .until(() -> berthd.client().runtime(10_000).containerStats(ContainerStatsRequest.newBuilder()
            .setContainerId(id).build()).getStats(), ready);
  }
}
