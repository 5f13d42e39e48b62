package io.berth.cri.network;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Node network settings the kubelet pushes through UpdateRuntimeConfig (the pod CIDRs). Kept in
 * memory: the kubelet pushes them again after it or berthd restarts. Thread-safe.
 */
public final class PodNetworkSettings {
  private final AtomicReference<List<String>> podCidrs = new AtomicReference<>(List.of());

  public List<String> podCidrs() {
    return podCidrs.get();
  }

  public void setPodCidrs(List<String> cidrs) {
    podCidrs.set(List.copyOf(cidrs));
  }
}
