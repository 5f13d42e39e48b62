package io.berth.cri.pod;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.proto.runtime.v1.DNSConfig;
import org.junit.jupiter.api.Test;

class SandboxFilesTest {
  @Test
  void resolvConfFollowsTheDnsConfig() throws Exception {
    String text = SandboxFiles.resolvConf(DNSConfig.newBuilder()
        .addServers("10.96.0.10").addSearches("default.svc.cluster.local").addSearches("svc.cluster.local")
        .addOptions("ndots:5").build());
    assertThat(text).isEqualTo("""
        search default.svc.cluster.local svc.cluster.local
        nameserver 10.96.0.10
        options ndots:5
        """);
  }
}
