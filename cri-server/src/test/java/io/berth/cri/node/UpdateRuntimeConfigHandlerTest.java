package io.berth.cri.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.network.PodNetworkSettings;
import io.berth.proto.runtime.v1.NetworkConfig;
import io.berth.proto.runtime.v1.RuntimeConfig;
import io.berth.proto.runtime.v1.UpdateRuntimeConfigRequest;
import org.junit.jupiter.api.Test;

class UpdateRuntimeConfigHandlerTest {
  private final PodNetworkSettings settings = new PodNetworkSettings();
  private final UpdateRuntimeConfigHandler handler = new UpdateRuntimeConfigHandler(settings);

  private static UpdateRuntimeConfigRequest request(String cidr) {
    return UpdateRuntimeConfigRequest.newBuilder()
        .setRuntimeConfig(RuntimeConfig.newBuilder().setNetworkConfig(NetworkConfig.newBuilder().setPodCidr(cidr)))
        .build();
  }

  @Test
  void recordsSingleAndDualStackCidrs() {
    handler.handle(request("10.88.0.0/24"));
    assertThat(settings.podCidrs()).containsExactly("10.88.0.0/24");
    handler.handle(request("10.88.0.0/24, fd00:10::/64"));
    assertThat(settings.podCidrs()).containsExactly("10.88.0.0/24", "fd00:10::/64");
  }

  @Test
  void emptyCidrKeepsTheRecordedOne() {
    handler.handle(request("10.88.0.0/24"));
    handler.handle(request(""));
    assertThat(settings.podCidrs()).containsExactly("10.88.0.0/24");
  }

  @Test
  void malformedCidrsAreRejectedAndNothingChanges() {
    handler.handle(request("10.88.0.0/24"));
    for (String bad : new String[] {"10.88.0.0", "10.88.0.0/33", "not-an-ip/8", "fd00::/129", "/8", "10.0.0.0/"}) {
      assertThatThrownBy(() -> handler.handle(request(bad)))
          .as(bad)
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining(bad.isEmpty() ? "" : "pod CIDR");
    }
    assertThat(settings.podCidrs()).containsExactly("10.88.0.0/24");
  }
}
