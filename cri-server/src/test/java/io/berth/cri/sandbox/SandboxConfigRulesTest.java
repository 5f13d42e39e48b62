package io.berth.cri.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.rules.HostCpus;
import io.berth.proto.runtime.v1.LinuxContainerResources;
import io.berth.proto.runtime.v1.LinuxPodSandboxConfig;
import io.berth.proto.runtime.v1.LinuxSandboxSecurityContext;
import io.berth.proto.runtime.v1.DNSConfig;
import io.berth.proto.runtime.v1.Int64Value;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PodSandboxMetadata;
import io.berth.proto.runtime.v1.PortMapping;
import org.junit.jupiter.api.Test;

/** RunPodSandbox's up-front rules: names, hostnames, DNS, log directory, ports, sysctls, ids, cgroup parent. */
class SandboxConfigRulesTest {
  private static final HostCpus CPUS = HostCpus.of("0-1", "0");

  private static void check(PodSandboxConfig config) {
    SandboxConfigRules.validate(config, CPUS);
  }

  private static PodSandboxConfig.Builder pod() {
    return PodSandboxConfig.newBuilder().setMetadata(PodSandboxMetadata.newBuilder().setName("web")
        .setNamespace("default").setUid("u1"));
  }

  @Test
  void whatTheKubeletSendsPasses() {
    assertThatCode(() -> check(pod().setHostname("web-0.shop").setDnsConfig(DNSConfig
        .newBuilder().addServers("10.96.0.10").addServers("fd00::a").addSearches("shop.svc.cluster.local")
        .addSearches("svc.cluster.local").addOptions("ndots:5").addOptions("edns0")).build()))
        .doesNotThrowAnyException();
    assertThatCode(() -> check(pod().build())).doesNotThrowAnyException();
  }

  @Test
  void badHostnamesAreRefusedAndNamedPrintably() {
    for (String hostname : new String[] {"bad\nhost", "Upper", "under_score", "-lead", "trail-", "a..b",
        "x".repeat(64), ("abc." ).repeat(64) + "abc"}) {
      assertThatThrownBy(() -> check(pod().setHostname(hostname).build()))
          .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("RFC 1123")
          .hasMessageNotContaining("\n");
    }
  }

  @Test
  void dnsSettingsThatWouldAddLinesAreRefused() {
    assertThatThrownBy(() -> check(pod().setDnsConfig(DNSConfig.newBuilder()
        .addServers("10.0.0.1\nnameserver 6.6.6.6")).build()))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("not an IP address")
        .hasMessageContaining("\\x0a");
    assertThatThrownBy(() -> check(pod().setDnsConfig(DNSConfig.newBuilder()
        .addServers("dns.example")).build())).hasMessageContaining("not an IP address");
    assertThatThrownBy(() -> check(pod().setDnsConfig(DNSConfig.newBuilder()
        .addSearches("a.local\noptions debug")).build())).hasMessageContaining("search");
    assertThatThrownBy(() -> check(pod().setDnsConfig(DNSConfig.newBuilder()
        .addOptions("ndots:5 rotate")).build())).hasMessageContaining("option");
    assertThatThrownBy(() -> check(pod().setDnsConfig(DNSConfig.newBuilder()
        .addServers("1.1.1.1").addServers("1.1.1.2").addServers("1.1.1.3").addServers("1.1.1.4")).build()))
        .hasMessageContaining("at most 3");
  }

  @Test
  void aLogDirectoryMustBeAbsoluteWithoutParentParts() {
    assertThatCode(() -> check(pod().setLogDirectory("/var/log/pods/default_web_u1/").build()))
        .doesNotThrowAnyException();
    for (String dir : new String[] {"logs", "/var/log/pods/../../tmp", "/var/log/\0x"}) {
      assertThatThrownBy(() -> check(pod().setLogDirectory(dir).build()))
          .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("log_directory");
    }
  }

  @Test
  void portsOutsideTheirRangeAndHostIpsThatAreNoAddressAreRefused() {
    assertThatCode(() -> check(pod().addPortMappings(PortMapping.newBuilder().setContainerPort(80).setHostPort(8080)
        .setHostIp("127.0.0.1")).build())).doesNotThrowAnyException();
    for (var port : new PortMapping[] {PortMapping.newBuilder().setContainerPort(0).build(),
        PortMapping.newBuilder().setContainerPort(70_000).build(),
        PortMapping.newBuilder().setContainerPort(80).setHostPort(-1).build(),
        PortMapping.newBuilder().setContainerPort(80).setProtocolValue(9).build(),
        PortMapping.newBuilder().setContainerPort(80).setHostIp("localhost\n").build()}) {
      assertThatThrownBy(() -> check(pod().addPortMappings(port).build()))
          .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("port_mappings");
    }
  }

  @Test
  void sysctlNamesThatCouldLeaveProcSysAndIdsTheKernelCannotMapAreRefused() {
    assertThatCode(() -> check(pod().setLinux(LinuxPodSandboxConfig.newBuilder()
        .putSysctls("net.ipv4.ip_unprivileged_port_start", "0").putSysctls("kernel/shm_rmid_forced", "1")).build()))
        .doesNotThrowAnyException();
    for (String name : new String[] {"net.ipv4/../../x", "net..x", "net.x\0", "Net.X", ""}) {
      assertThatThrownBy(() -> check(pod().setLinux(LinuxPodSandboxConfig.newBuilder()
          .putSysctls(name, "1")).build()))
          .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("sysctl");
    }
    assertThatThrownBy(() -> check(pod().setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
        LinuxSandboxSecurityContext.newBuilder().setRunAsUser(Int64Value.newBuilder().setValue(-1)))).build()))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("run_as_user -1");
  }

  @Test
  void aCgroupParentWithParentPartsAndPodResourcesTheKernelRefusesAreRefused() {
    assertThatCode(() -> check(pod().setLinux(LinuxPodSandboxConfig.newBuilder()
        .setCgroupParent("/kubepods/besteffort/podu1")).build())).doesNotThrowAnyException();
    assertThatThrownBy(() -> check(pod().setLinux(LinuxPodSandboxConfig.newBuilder()
        .setCgroupParent("/kubepods/../../../x")).build()))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("cgroup_parent");
    assertThatThrownBy(() -> check(pod().setLinux(LinuxPodSandboxConfig.newBuilder()
        .setResources(LinuxContainerResources.newBuilder().setCpusetCpus("999"))).build()))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("linux.resources.cpuset_cpus '999'");
  }

  @Test
  void longOrControlCharacterMetadataIsRefusedWithAShortEcho() {
    String huge = "n".repeat(1 << 20);
    assertThatThrownBy(() -> check(PodSandboxConfig.newBuilder().setMetadata(PodSandboxMetadata.newBuilder()
        .setName(huge).setNamespace("default").setUid("u1")).build()))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("metadata.name")
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(300));
  }
}
