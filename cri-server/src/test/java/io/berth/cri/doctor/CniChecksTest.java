package io.berth.cri.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.cri.config.BerthConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cni-config and cni-plugins against a fake conf dir and bin dirs. */
class CniChecksTest {
  static final String BRIDGE = """
      {
        "cniVersion": "1.0.0",
        "name": "berth",
        "plugins": [
          {"type": "bridge", "bridge": "berth0",
           "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.0.0/16"}]]}},
          {"type": "portmap", "capabilities": {"portMappings": true}},
          {"type": "loopback"}
        ]
      }
      """;
  static final BerthConfig.Network NETWORK =
      new BerthConfig.Network("/etc/cni/net.d", List.of("/usr/lib/cni", "/opt/cni/bin"), 60);

  @TempDir Path root;

  private FakeHost withPlugins(String... names) {
    FakeHost host = FakeHost.in(root);
    for (String name : names) {
      host.binary("/usr/lib/cni/" + name, "CNI " + name + " plugin v1.1.1");
    }
    return host;
  }

  @Test
  void aValidConflistPasses() {
    FakeHost host = withPlugins().file("/etc/cni/net.d/10-berth-bridge.conflist", BRIDGE);
    assertThat(new CniConfigCheck(host, NETWORK).run()).isEqualTo(Result.pass("cni-config",
        "10-berth-bridge.conflist: network 'berth', cniVersion 1.0.0, plugins bridge, portmap, loopback"));
  }

  @Test
  void noConfigFailsWithNetworkReadyFalse() {
    Result result = new CniConfigCheck(FakeHost.in(root), NETWORK).run();
    assertThat(result.status()).isEqualTo(Status.FAIL);
    assertThat(result.detail()).contains("does not exist", "NetworkReady is false");
    assertThat(result.fix()).startsWith("put a network config in /etc/cni/net.d");
  }

  @Test
  void anInvalidFileIsNamedAndAValidLaterOneStillWarns() {
    FakeHost host = FakeHost.in(root).file("/etc/cni/net.d/05-broken.conflist", "{\"cniVersion\": \"1.0.0\"}")
        .file("/etc/cni/net.d/10-berth-bridge.conflist", BRIDGE);
    Result result = new CniConfigCheck(host, NETWORK).run();
    assertThat(result.status()).isEqualTo(Status.WARN);
    assertThat(result.detail()).contains("passed over: 05-broken.conflist: no network name");
    Result onlyBroken = new CniConfigCheck(FakeHost.in(root).file("/etc/cni/net.d/05-broken.conflist", "{"),
        NETWORK).run();
    assertThat(onlyBroken.status()).isEqualTo(Status.FAIL);
    assertThat(onlyBroken.detail()).startsWith("05-broken.conflist: ");
  }

  @Test
  void everyPluginAndIpamPluginPresentPasses() {
    FakeHost host = withPlugins("bridge", "host-local", "portmap", "loopback")
        .file("/etc/cni/net.d/10-berth-bridge.conflist", BRIDGE);
    assertThat(new CniPluginsCheck(host, NETWORK).run())
        .isEqualTo(Result.pass("cni-plugins", "bridge, host-local, portmap, loopback in /usr/lib/cni"));
  }

  @Test
  void aConflistNamingAMissingPluginFails() {
    FakeHost host = withPlugins("bridge", "host-local", "loopback")
        .file("/etc/cni/net.d/10-berth-bridge.conflist", BRIDGE);
    Result result = new CniPluginsCheck(host, NETWORK).run();
    assertThat(result.status()).isEqualTo(Status.FAIL);
    assertThat(result.detail()).isEqualTo("plugin portmap named by 10-berth-bridge.conflist is in none of "
        + "/usr/lib/cni, /opt/cni/bin (network.cni_bin_dirs): pods get no network");
    assertThat(result.fix()).isEqualTo("install containernetworking-plugins, or put the portmap plugin into one of "
        + "/usr/lib/cni, /opt/cni/bin");
  }

  @Test
  void aPluginFileThatIsNotExecutableCountsAsMissing() {
    FakeHost host = withPlugins("bridge", "portmap", "loopback")
        .file("/opt/cni/bin/host-local", "not executable")
        .file("/etc/cni/net.d/10-berth-bridge.conflist", BRIDGE);
    assertThat(new CniPluginsCheck(host, NETWORK).run().detail()).startsWith("plugin host-local named by");
  }

  @Test
  void withoutAConfigThePluginsCheckPointsAtCniConfig() {
    Result result = new CniPluginsCheck(FakeHost.in(root), NETWORK).run();
    assertThat(result.status()).isEqualTo(Status.FAIL);
    assertThat(result.fix()).isEqualTo("see cni-config");
  }
}
