package io.berth.cri.network;

import io.berth.proto.runtime.v1.PodSandboxConfig;
import java.util.List;
import java.util.Set;

/**
 * The seam for pod networking: attaching a pod's pinned network namespace to the node's
 * network and detaching it again. The CNI driver implements it; {@link NoNetworkPlugin} stands
 * in when no network is configured.
 */
public interface NetworkPlugin {
  /**
   * The NetworkReady condition. Status runs inline on a transport thread, so this must answer
   * from memory (e.g. state kept current by a watcher), never by running a plugin.
   */
  Condition readiness();

  /**
   * Attaches sandbox {@code id}'s namespace at {@code netns}; returns the pod's IPs, the primary
   * (IPv4 when there is one) first. On failure nothing of the attachment remains.
   */
  List<String> setUp(String id, String netns, PodSandboxConfig config);

  /**
   * Detaches sandbox {@code id}, as it was attached even if the configuration changed since, also when
   * a crash cut its setUp short; idempotent. {@code netns} is its pinned namespace, or empty when the
   * pin holds none any more: what lives outside it (addresses, host rules) is released all the same.
   */
  void tearDown(String id, String netns, PodSandboxConfig config);

  /**
   * The sandboxes this plugin keeps an attachment record for: attached, or caught inside setUp by a
   * crash. Recovery tears down those that no sandbox record owns.
   */
  default Set<String> recorded() {
    return Set.of();
  }
}
