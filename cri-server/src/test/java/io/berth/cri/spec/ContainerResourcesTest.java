package io.berth.cri.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.proto.runtime.v1.LinuxContainerResources;
import org.junit.jupiter.api.Test;

/** CPU quota and period the kernel would refuse are INVALID_ARGUMENT before runc sees them. */
class ContainerResourcesTest {
  @Test
  void aQuotaBelowOneMillisecondIsRefused() {
    assertThatThrownBy(() -> ContainerResources.of(LinuxContainerResources.newBuilder().setCpuQuota(500).build()))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("cpu_quota 500");
  }

  @Test
  void aPeriodOutsideTheKernelsRangeIsRefused() {
    assertThatThrownBy(() -> ContainerResources.of(LinuxContainerResources.newBuilder().setCpuPeriod(2_000_000)
        .build())).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("cpu_period 2000000");
  }

  @Test
  void theKubeletsUsualValuesAndNoLimitPass() {
    var spec = ContainerResources.of(LinuxContainerResources.newBuilder().setCpuQuota(50_000).setCpuPeriod(100_000)
        .setCpuShares(512).build());
    assertThat(spec.cpu().quota()).isEqualTo(50_000L);
    assertThat(ContainerResources.of(LinuxContainerResources.newBuilder().setCpuQuota(-1).build()).cpu().quota())
        .isEqualTo(-1L);
  }
}
