package io.berth.cri.network;

import io.berth.cri.runtime.Condition;

/**
 * The seam for pod networking: whoever sets up a sandbox's network reports here whether it can.
 * The CNI driver implements it; until then {@link NoNetworkPlugin} says so.
 */
public interface NetworkPlugin {
  /**
   * The NetworkReady condition. Status runs inline on a transport thread, so this must answer
   * from memory (e.g. state kept current by a watcher), never by running a plugin.
   */
  Condition readiness();
}
