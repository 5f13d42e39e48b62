package io.berth.cri.stats;

import io.berth.proto.runtime.v1.ContainerAttributes;
import io.berth.proto.runtime.v1.ContainerStats;
import io.berth.proto.runtime.v1.CpuUsage;
import io.berth.proto.runtime.v1.FilesystemIdentifier;
import io.berth.proto.runtime.v1.FilesystemUsage;
import io.berth.proto.runtime.v1.MemoryUsage;
import io.berth.proto.runtime.v1.SwapUsage;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import io.berth.snapshot.SnapshotException;
import io.berth.snapshot.Snapshotter;
import io.berth.snapshot.Usage;
import java.util.Optional;

/**
 * A container's CRI stats: CPU and memory from its cgroup (when it has one: created or
 * running), the CPU rate from the background sampler, and its writable layer's bytes and inodes
 * as the snapshotter last measured them.
 */
public final class ContainerStatsCollector {
  private final CgroupReader cgroups;
  private final CpuRates rates;
  private final Snapshotter snapshots;
  private final String snapshotMountpoint;

  public ContainerStatsCollector(CgroupReader cgroups, CpuRates rates, Snapshotter snapshots,
      String snapshotMountpoint) {
    this.cgroups = cgroups;
    this.rates = rates;
    this.snapshots = snapshots;
    this.snapshotMountpoint = snapshotMountpoint;
  }

  public ContainerStats stats(ContainerRecord record) {
    long now = StatsValues.nowNanos();
    var config = record.getConfig();
    var stats = ContainerStats.newBuilder().setAttributes(ContainerAttributes.newBuilder()
        .setId(record.getId()).setMetadata(config.getMetadata())
        .putAllLabels(config.getLabelsMap()).putAllAnnotations(config.getAnnotationsMap()));
    boolean live = record.getPhase() == Phase.RUNNING || record.getPhase() == Phase.CREATED;
    var sample = live && !record.getCgroupsPath().isEmpty()
        ? cgroups.read(CgroupReader.path(record.getCgroupsPath())) : Optional.<CgroupSample>empty();
    sample.ifPresent(s -> {
      var cpu = CpuUsage.newBuilder().setTimestamp(now).setUsageCoreNanoSeconds(StatsValues.u64(s.cpuUsageNanos()));
      Long rate = rates.nanoCores(record.getId());
      if (rate != null) {
        cpu.setUsageNanoCores(StatsValues.u64(rate));
      }
      stats.setCpu(cpu);
      var memory = MemoryUsage.newBuilder().setTimestamp(now)
          .setWorkingSetBytes(StatsValues.u64(s.workingSet())).setUsageBytes(StatsValues.u64(s.memoryUsage()))
          .setRssBytes(StatsValues.u64(s.rss()))
          .setPageFaults(StatsValues.u64(s.pageFaults())).setMajorPageFaults(StatsValues.u64(s.majorPageFaults()));
      if (s.memoryLimit() != null) {
        memory.setAvailableBytes(StatsValues.u64(Math.max(0, s.memoryLimit() - s.workingSet())));
      }
      stats.setMemory(memory);
      if (s.swapUsage() != null) {
        stats.setSwap(SwapUsage.newBuilder().setTimestamp(now).setSwapUsageBytes(StatsValues.u64(s.swapUsage())));
      }
    });
    if (!record.getSnapshotKey().isEmpty()) {
      try {
        Usage usage = snapshots.usage(record.getSnapshotKey());
        stats.setWritableLayer(FilesystemUsage.newBuilder().setTimestamp(now)
            .setFsId(FilesystemIdentifier.newBuilder().setMountpoint(snapshotMountpoint))
            .setUsedBytes(StatsValues.u64(usage.bytes())).setInodesUsed(StatsValues.u64(usage.inodes())));
      } catch (SnapshotException.NotFound gone) {
        // removed meanwhile
      }
    }
    return stats.build();
  }

  /** The container's I/O and OOM-kill counters, for metrics; empty when it has no cgroup. */
  public Optional<CgroupCounters> counters(ContainerRecord record) {
    boolean live = record.getPhase() == Phase.RUNNING || record.getPhase() == Phase.CREATED;
    return live && !record.getCgroupsPath().isEmpty()
        ? cgroups.counters(CgroupReader.path(record.getCgroupsPath())) : Optional.empty();
  }

  /** Takes one CPU sample of a running container, for the rate. */
  public void sampleCpu(ContainerRecord record) {
    if (record.getPhase() == Phase.RUNNING && !record.getCgroupsPath().isEmpty()) {
      long at = System.nanoTime();
      cgroups.read(CgroupReader.path(record.getCgroupsPath()))
          .ifPresent(s -> rates.record(record.getId(), at, s.cpuUsageNanos()));
    }
  }

  public CpuRates rates() {
    return rates;
  }
}
