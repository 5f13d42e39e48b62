package io.berth.cri.spec;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.oci.spec.RuntimeSpec;
import io.berth.proto.runtime.v1.LinuxContainerResources;
import java.util.List;
import java.util.Map;

/**
 * CRI {@code LinuxContainerResources} as the runtime spec's cgroup resources; zero means "not set".
 * Values the kernel would refuse are refused here, as INVALID_ARGUMENT, instead of as runc's error.
 */
public final class ContainerResources {
  /** The kernel's bounds on a CFS period and the smallest quota it takes (cpu.max, cpu.cfs_*_us), in µs. */
  private static final long MIN_CFS_US = 1_000;
  private static final long MAX_CFS_PERIOD_US = 1_000_000;

  private ContainerResources() {}

  public static RuntimeSpec.Resources of(LinuxContainerResources r) {
    validate(r);
    RuntimeSpec.Memory memory = null;
    if (r.getMemoryLimitInBytes() > 0 || r.getMemorySwapLimitInBytes() > 0) {
      memory = new RuntimeSpec.Memory(positive(r.getMemoryLimitInBytes()), positive(r.getMemorySwapLimitInBytes()));
    }
    RuntimeSpec.Cpu cpu = null;
    if (r.getCpuShares() > 0 || r.getCpuQuota() != 0 || r.getCpuPeriod() > 0 || !r.getCpusetCpus().isEmpty()
        || !r.getCpusetMems().isEmpty()) {
      cpu = new RuntimeSpec.Cpu(positive(r.getCpuShares()), r.getCpuQuota() != 0 ? r.getCpuQuota() : null,
          positive(r.getCpuPeriod()), emptyToNull(r.getCpusetCpus()), emptyToNull(r.getCpusetMems()));
    }
    List<RuntimeSpec.HugepageLimit> hugepages = r.getHugepageLimitsList().stream()
        .map(h -> new RuntimeSpec.HugepageLimit(h.getPageSize(), h.getLimit()))
        .toList();
    Map<String, String> unified = r.getUnifiedMap().isEmpty() ? null : Map.copyOf(r.getUnifiedMap());
    return new RuntimeSpec.Resources(memory, cpu, null, hugepages.isEmpty() ? null : hugepages, unified, null);
  }

  private static void validate(LinuxContainerResources r) {
    if (r.getCpuQuota() != 0 && r.getCpuQuota() != -1 && r.getCpuQuota() < MIN_CFS_US) {
      throw new InvalidArgumentException("cpu_quota " + r.getCpuQuota() + " is below the kernel's minimum of "
          + MIN_CFS_US + " µs (or -1 for no limit)");
    }
    if (r.getCpuPeriod() != 0 && (r.getCpuPeriod() < MIN_CFS_US || r.getCpuPeriod() > MAX_CFS_PERIOD_US)) {
      throw new InvalidArgumentException("cpu_period " + r.getCpuPeriod() + " is outside " + MIN_CFS_US + ".."
          + MAX_CFS_PERIOD_US + " µs");
    }
  }

  private static Long positive(long value) {
    return value > 0 ? value : null;
  }

  private static String emptyToNull(String value) {
    return value.isEmpty() ? null : value;
  }
}
