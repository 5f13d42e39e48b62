package io.berth.cri.rules;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.proto.runtime.v1.HugepageLimit;
import io.berth.proto.runtime.v1.LinuxContainerResources;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Resources the kernel would refuse, or that would kill the container before it runs, are INVALID_ARGUMENT. */
class ResourceRulesTest {
  private static final HostCpus HOST = HostCpus.of("0-1", "0");

  private static void check(UnaryOperator<LinuxContainerResources.Builder> set) {
    ResourceRules.validate("linux.resources", set.apply(LinuxContainerResources.newBuilder()).build(), HOST);
  }

  private static void refused(UnaryOperator<LinuxContainerResources.Builder> set, String message) {
    assertThatThrownBy(() -> check(set)).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("linux.resources." + message);
  }

  @Test
  void theKubeletsUsualValuesAndUnsetFieldsPass() {
    assertThatCode(() -> check(r -> r)).doesNotThrowAnyException();
    assertThatCode(() -> check(r -> r.setCpuPeriod(100_000).setCpuQuota(50_000).setCpuShares(2)
        .setMemoryLimitInBytes(64L << 20).setMemorySwapLimitInBytes(64L << 20).setOomScoreAdj(-997)
        .setCpusetCpus("0-1").setCpusetMems("0").putUnified("memory.high", "max")
        .addHugepageLimits(HugepageLimit.newBuilder().setPageSize("2MB").setLimit(0))))
        .doesNotThrowAnyException();
    assertThatCode(() -> check(r -> r.setCpuQuota(-1).setMemorySwapLimitInBytes(-1))).doesNotThrowAnyException();
  }

  @Test
  void cpuValuesOutsideTheKernelsBoundsAreRefused() {
    refused(r -> r.setCpuQuota(500), "cpu_quota 500");
    refused(r -> r.setCpuQuota(-5), "cpu_quota -5");
    refused(r -> r.setCpuPeriod(2_000_000), "cpu_period 2000000");
    refused(r -> r.setCpuShares(1), "cpu_shares 1");
    refused(r -> r.setCpuShares(300_000), "cpu_shares 300000");
  }

  @Test
  void memoryBelowWhatAContainerNeedsToStartIsRefused() {
    refused(r -> r.setMemoryLimitInBytes(1), "memory_limit_in_bytes 1 ");
    refused(r -> r.setMemoryLimitInBytes(-2), "memory_limit_in_bytes -2");
    refused(r -> r.setMemoryLimitInBytes(64L << 20).setMemorySwapLimitInBytes(1L << 20),
        "memory_swap_limit_in_bytes");
    refused(r -> r.setOomScoreAdj(1001), "oom_score_adj 1001");
  }

  @Test
  void cpusetsNamingCpusTheNodeLacksOrMalformedAreRefused() {
    refused(r -> r.setCpusetCpus("999"), "cpuset_cpus '999' names CPUs this node does not have (online: 0-1)");
    refused(r -> r.setCpusetCpus("٣"), "cpuset_cpus");
    refused(r -> r.setCpusetCpus("1-0"), "cpuset_cpus '1-0'");
    refused(r -> r.setCpusetCpus("0,,1"), "cpuset_cpus");
    refused(r -> r.setCpusetCpus("99999999999"), "cpuset_cpus");
    refused(r -> r.setCpusetMems("1"), "cpuset_mems '1'");
  }

  @Test
  void aPodMayHaveLessMemoryThanAContainerNeedsButNotNegative() {
    var small = LinuxContainerResources.newBuilder().setMemoryLimitInBytes(5L << 20).build();
    assertThatCode(() -> ResourceRules.validatePod("linux.overhead", small, HOST)).doesNotThrowAnyException();
    assertThatThrownBy(() -> ResourceRules.validatePod("linux.overhead", small.toBuilder()
        .setMemoryLimitInBytes(-1).build(), HOST)).hasMessageContaining("linux.overhead.memory_limit_in_bytes -1");
    assertThatCode(() -> check(r -> r.putUnified("hugetlb.2MB.max", "0"))).doesNotThrowAnyException();
  }

  @Test
  void unifiedKeysThatAreNoCgroupFileNamesAreRefused() {
    for (String key : new String[] {"../cgroup.procs", "memory/../x", "cgroup..procs", "MEMORY.HIGH", ""}) {
      refused(r -> r.putUnified(key, "1"), "unified");
    }
    refused(r -> r.putUnified("memory.high", "1\n2"), "unified[memory.high]");
    refused(r -> r.addHugepageLimits(HugepageLimit.newBuilder().setPageSize("../2MB")), "hugepage_limits");
  }
}
