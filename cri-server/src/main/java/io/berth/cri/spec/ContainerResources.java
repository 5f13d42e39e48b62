package io.berth.cri.spec;

import io.berth.oci.spec.RuntimeSpec;
import io.berth.proto.runtime.v1.LinuxContainerResources;
import java.util.List;
import java.util.Map;

/**
 * CRI {@code LinuxContainerResources} as the runtime spec's cgroup resources; zero means "not set".
 * The values were checked up front by {@link io.berth.cri.rules.ResourceRules}.
 */
public final class ContainerResources {
  private ContainerResources() {}

  public static RuntimeSpec.Resources of(LinuxContainerResources r) {
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

  private static Long positive(long value) {
    return value > 0 ? value : null;
  }

  private static String emptyToNull(String value) {
    return value.isEmpty() ? null : value;
  }
}
