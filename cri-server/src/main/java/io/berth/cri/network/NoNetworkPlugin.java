package io.berth.cri.network;

import io.berth.proto.runtime.v1.PodSandboxConfig;
import java.util.List;

/**
 * Pod networking when no CNI network is configured: never ready (the kubelet then runs only
 * host-network pods), and a pod that is started anyway gets its namespace with loopback only.
 */
public final class NoNetworkPlugin implements NetworkPlugin {
  private final String reason;

  public NoNetworkPlugin(String reason) {
    this.reason = reason;
  }

  @Override
  public Condition readiness() {
    return Condition.unmet(Condition.NETWORK_READY, "NetworkPluginNotReady", reason);
  }

  @Override
  public List<String> setUp(String id, String netns, PodSandboxConfig config) {
    return List.of();
  }

  @Override
  public void tearDown(String id, String netns, PodSandboxConfig config) {
    // nothing was attached
  }
}
