package io.berth.cri.sandbox;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.proto.runtime.v1.DNSConfig;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PodSandboxMetadata;
import org.junit.jupiter.api.Test;

/** RunPodSandbox's up-front rules: hostnames and DNS settings that cannot inject lines or reach sethostname. */
class SandboxConfigRulesTest {
  private static PodSandboxConfig.Builder pod() {
    return PodSandboxConfig.newBuilder().setMetadata(PodSandboxMetadata.newBuilder().setName("web")
        .setNamespace("default").setUid("u1"));
  }

  @Test
  void whatTheKubeletSendsPasses() {
    assertThatCode(() -> SandboxConfigRules.validate(pod().setHostname("web-0.shop").setDnsConfig(DNSConfig
        .newBuilder().addServers("10.96.0.10").addServers("fd00::a").addSearches("shop.svc.cluster.local")
        .addSearches("svc.cluster.local").addOptions("ndots:5").addOptions("edns0")).build()))
        .doesNotThrowAnyException();
    assertThatCode(() -> SandboxConfigRules.validate(pod().build())).doesNotThrowAnyException();
  }

  @Test
  void badHostnamesAreRefusedAndNamedPrintably() {
    for (String hostname : new String[] {"bad\nhost", "Upper", "under_score", "-lead", "trail-", "a..b",
        "x".repeat(64), ("abc." ).repeat(64) + "abc"}) {
      assertThatThrownBy(() -> SandboxConfigRules.validate(pod().setHostname(hostname).build()))
          .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("RFC 1123")
          .hasMessageNotContaining("\n");
    }
  }

  @Test
  void dnsSettingsThatWouldAddLinesAreRefused() {
    assertThatThrownBy(() -> SandboxConfigRules.validate(pod().setDnsConfig(DNSConfig.newBuilder()
        .addServers("10.0.0.1\nnameserver 6.6.6.6")).build()))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("not an IP address")
        .hasMessageContaining("\\x0a");
    assertThatThrownBy(() -> SandboxConfigRules.validate(pod().setDnsConfig(DNSConfig.newBuilder()
        .addServers("dns.example")).build())).hasMessageContaining("not an IP address");
    assertThatThrownBy(() -> SandboxConfigRules.validate(pod().setDnsConfig(DNSConfig.newBuilder()
        .addSearches("a.local\noptions debug")).build())).hasMessageContaining("search");
    assertThatThrownBy(() -> SandboxConfigRules.validate(pod().setDnsConfig(DNSConfig.newBuilder()
        .addOptions("ndots:5 rotate")).build())).hasMessageContaining("option");
    assertThatThrownBy(() -> SandboxConfigRules.validate(pod().setDnsConfig(DNSConfig.newBuilder()
        .addServers("1.1.1.1").addServers("1.1.1.2").addServers("1.1.1.3").addServers("1.1.1.4")).build()))
        .hasMessageContaining("at most 3");
  }
}
