package io.berth.cri.network;

import io.berth.cri.runtime.Condition;

/** The network plugin of a berthd without a CNI driver: never ready, and says why. */
public final class NoNetworkPlugin implements NetworkPlugin {
  @Override
  public Condition readiness() {
    return Condition.unmet(
        Condition.NETWORK_READY,
        "NetworkPluginNotReady",
        "this berthd has no CNI driver yet, so pods cannot get a network");
  }
}
