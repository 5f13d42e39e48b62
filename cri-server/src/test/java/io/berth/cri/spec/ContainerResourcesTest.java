package io.berth.cri.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.proto.runtime.v1.LinuxContainerResources;
import org.junit.jupiter.api.Test;

/** CRI resources become the runtime spec's: the kubelet's usual values, and -1 as "no CPU limit". */
class ContainerResourcesTest {
  @Test
  void theKubeletsUsualValuesAndNoLimitPass() {
    var spec = ContainerResources.of(LinuxContainerResources.newBuilder().setCpuQuota(50_000).setCpuPeriod(100_000)
        .setCpuShares(512).build());
    assertThat(spec.cpu().quota()).isEqualTo(50_000L);
    assertThat(ContainerResources.of(LinuxContainerResources.newBuilder().setCpuQuota(-1).build()).cpu().quota())
        .isEqualTo(-1L);
  }
}
