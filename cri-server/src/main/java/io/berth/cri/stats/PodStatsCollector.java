package io.berth.cri.stats;

import io.berth.cri.pod.PodNamespaces;
import io.berth.proto.runtime.v1.ContainerStats;
import io.berth.proto.runtime.v1.CpuUsage;
import io.berth.proto.runtime.v1.LinuxPodSandboxStats;
import io.berth.proto.runtime.v1.MemoryUsage;
import io.berth.proto.runtime.v1.NetworkInterfaceUsage;
import io.berth.proto.runtime.v1.NetworkUsage;
import io.berth.proto.runtime.v1.PodSandboxAttributes;
import io.berth.proto.runtime.v1.PodSandboxStats;
import io.berth.proto.runtime.v1.ProcessUsage;
import io.berth.proto.state.v1.SandboxRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A pod's CRI stats: CPU, memory and process count of the pod's cgroup parent, the counters
 * of every interface in its network namespace (read through {@code /proc/<infra pid>/net/dev}, or
 * from inside the pinned namespace for a pod without an infra process), and its containers' stats.
 */
public final class PodStatsCollector {
  private final CgroupReader cgroups;

  public PodStatsCollector(CgroupReader cgroups) {
    this.cgroups = cgroups;
  }

  public PodSandboxStats stats(SandboxRecord sandbox, boolean ready, List<ContainerStats> containers) {
    long now = StatsValues.nowNanos();
    var config = sandbox.getConfig();
    var linux = LinuxPodSandboxStats.newBuilder().addAllContainers(containers);
    if (ready) {
      cgroups.read(cgroupPath(sandbox.getCgroupParent())).ifPresent(s -> {
        linux.setCpu(CpuUsage.newBuilder().setTimestamp(now)
            .setUsageCoreNanoSeconds(StatsValues.u64(s.cpuUsageNanos())));
        var memory = MemoryUsage.newBuilder().setTimestamp(now).setWorkingSetBytes(StatsValues.u64(s.workingSet()))
            .setUsageBytes(StatsValues.u64(s.memoryUsage())).setRssBytes(StatsValues.u64(s.rss()))
            .setPageFaults(StatsValues.u64(s.pageFaults())).setMajorPageFaults(StatsValues.u64(s.majorPageFaults()));
        if (s.memoryLimit() != null) {
          memory.setAvailableBytes(StatsValues.u64(Math.max(0, s.memoryLimit() - s.workingSet())));
        }
        linux.setMemory(memory);
        linux.setProcess(ProcessUsage.newBuilder().setTimestamp(now).setProcessCount(StatsValues.u64(s.processes())));
      });
      if (!sandbox.getNetnsPath().isEmpty()) {
        netDev(sandbox).flatMap(text -> network(text, now)).ifPresent(linux::setNetwork);
      }
    }
    return PodSandboxStats.newBuilder()
        .setAttributes(PodSandboxAttributes.newBuilder().setId(sandbox.getId()).setMetadata(config.getMetadata())
            .putAllLabels(config.getLabelsMap()).putAllAnnotations(config.getAnnotationsMap()))
        .setLinux(linux)
        .build();
  }

  /**
   * The pod's {@code /proc/net/dev}: through its infra process when it has one (no namespace to
   * enter), else read from inside its pinned network namespace.
   */
  private static Optional<String> netDev(SandboxRecord sandbox) {
    try {
      return Optional.of(sandbox.getInfraPid() > 0
          ? Files.readString(Path.of("/proc/" + sandbox.getInfraPid() + "/net/dev"))
          : PodNamespaces.inNetwork(sandbox.getNetnsPath(),
              () -> Files.readString(Path.of("/proc/thread-self/net/dev"))));
    } catch (IOException e) {
      return Optional.empty(); // the pod is going away
    }
  }

  /** The counters of every interface but loopback in a {@code /proc/net/dev} text; eth0 is the default. */
  static Optional<NetworkUsage> network(String netDev, long now) {
    List<NetworkInterfaceUsage> interfaces = new ArrayList<>();
    try {
      for (String line : netDev.split("\n")) {
        int colon = line.indexOf(':');
        if (colon < 0) {
          continue; // the two header lines
        }
        String name = line.substring(0, colon).strip();
        String[] f = line.substring(colon + 1).strip().split("\\s+");
        if (name.equals("lo") || f.length < 11) {
          continue;
        }
        interfaces.add(NetworkInterfaceUsage.newBuilder().setName(name)
            .setRxBytes(StatsValues.u64(Long.parseLong(f[0]))).setRxErrors(StatsValues.u64(Long.parseLong(f[2])))
            .setTxBytes(StatsValues.u64(Long.parseLong(f[8]))).setTxErrors(StatsValues.u64(Long.parseLong(f[10])))
            .build());
      }
    } catch (RuntimeException e) {
      return Optional.empty();
    }
    if (interfaces.isEmpty()) {
      return Optional.empty();
    }
    var usage = NetworkUsage.newBuilder().setTimestamp(now).addAllInterfaces(interfaces);
    usage.setDefaultInterface(interfaces.stream().filter(i -> i.getName().equals("eth0")).findFirst()
        .orElse(interfaces.getFirst()));
    return Optional.of(usage.build());
  }

  /** A cgroupfs parent as is; a systemd slice name as its place in the slice tree. */
  static String cgroupPath(String parent) {
    if (parent.endsWith(".slice") && !parent.contains("/")) {
      String scope = CgroupReader.path(parent + ":x:y");
      return scope.substring(0, scope.lastIndexOf('/'));
    }
    return parent;
  }
}
