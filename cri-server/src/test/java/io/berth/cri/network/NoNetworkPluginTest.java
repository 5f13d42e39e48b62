package io.berth.cri.network;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NoNetworkPluginTest {
  @Test
  void isNeverReadyAndAttachesNothing() {
    var plugin = new NoNetworkPlugin("no CNI config in /etc/cni/net.d");
    assertThat(plugin.readiness().ready()).isFalse();
    assertThat(plugin.readiness().message()).contains("/etc/cni/net.d");
    assertThat(plugin.setUp("sb1", "/run/netns/sb1", NetworkPluginContract.pod("a"))).isEmpty();
    plugin.tearDown("sb1", "/run/netns/sb1", NetworkPluginContract.pod("a"));
  }
}
