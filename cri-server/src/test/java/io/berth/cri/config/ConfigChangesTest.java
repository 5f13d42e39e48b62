package io.berth.cri.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a reload applies live and what it reports as needing a restart, key by key. */
class ConfigChangesTest {
  private final ConfigLoader loader = new ConfigLoader();
  private final BerthConfig defaults = BerthConfig.defaults();

  /** Every value different from the defaults. */
  private BerthConfig everythingChanged() {
    return loader.parse("test", """
        root = "/srv/berth"
        state = "/run/berth2"
        socket = "/run/berth2/b.sock"
        log_level = "debug"
        [server]
        shutdown_grace_seconds = 3
        max_message_bytes = 2048
        [runtime]
        cgroup_driver = "systemd"
        default_handler = "crun"
        conmon = "/opt/conmon"
        catatonit = "/opt/catatonit"
        drop_infra_container = false
        [runtime.handlers]
        crun = "/opt/crun"
        [network]
        cni_conf_dir = "/srv/cni/net.d"
        cni_bin_dirs = ["/srv/cni/bin"]
        plugin_timeout_seconds = 5
        [metrics]
        address = "0.0.0.0"
        port = 9464
        [streaming]
        address = "0.0.0.0"
        port = 10010
        tls_cert_file = "/etc/berth/tls.crt"
        tls_key_file = "/etc/berth/tls.key"
        token_ttl_seconds = 30
        idle_timeout_seconds = 60
        [registry]
        config_path = "/srv/certs.d"
        platform = "linux/arm64"
        max_concurrent_downloads = 1
        stall_timeout_seconds = 5
        connect_timeout_seconds = 2
        pull_progress_timeout_seconds = 20
        [registry.auths."registry.test"]
        username = "alice"
        password = "secret"
        [images]
        pinned = ["registry.k8s.io/pause:3.10"]
        usage_interval_seconds = 5
        container_root = "/srv/berth-containers"
        """);
  }

  @Test
  void theSameConfigurationChangesNothing() {
    assertThat(ConfigChanges.between(defaults, loader.parse("test", "")).isEmpty()).isTrue();
  }

  @Test
  void everyKeyIsEitherLiveOrNeedsARestartAndTheLiveOnesAreExactlyTheListedOnes() {
    ConfigChanges changes = ConfigChanges.between(defaults, everythingChanged());

    assertThat(changes.live()).containsExactlyInAnyOrderElementsOf(ConfigChanges.LIVE);
    assertThat(changes.needRestart()).containsExactly(
        "root", "state", "socket",
        "server.shutdown_grace_seconds", "server.max_message_bytes",
        "runtime.cgroup_driver", "runtime.default_handler", "runtime.handlers", "runtime.conmon",
        "runtime.catatonit", "runtime.drop_infra_container",
        "metrics.address", "metrics.port",
        "streaming.address", "streaming.port", "streaming.tls_cert_file", "streaming.tls_key_file",
        "streaming.token_ttl_seconds", "streaming.idle_timeout_seconds",
        "registry.platform", "registry.max_concurrent_downloads", "registry.stall_timeout_seconds",
        "registry.connect_timeout_seconds", "registry.pull_progress_timeout_seconds",
        "images.usage_interval_seconds", "images.container_root");
  }

  @Test
  void keysAreListedInTheFilesOrderAndValuesNeverAppear() {
    BerthConfig next = loader.parse("test", """
        log_level = "warn"
        [streaming]
        port = 10010
        [registry.auths."registry.test"]
        password = "hunter2"
        """);

    ConfigChanges changes = ConfigChanges.between(defaults, next);

    assertThat(changes.live()).containsExactly("log_level", "registry.auths");
    assertThat(changes.needRestart()).containsExactly("streaming.port");
    assertThat(changes.toString()).doesNotContain("hunter2").doesNotContain("10010").doesNotContain("warn");
  }

  @Test
  void aTableTheFileReplacesWholeIsOneKeyWhateverItsEntries() {
    Map<String, String> handlers = Map.of("runc", "/usr/sbin/runc", "crun", "/usr/bin/crun", "kata", "/opt/kata");
    BerthConfig next = new BerthConfig(defaults.root(), defaults.state(), defaults.socket(), defaults.logLevel(),
        defaults.server(), new BerthConfig.Runtime(defaults.runtime().cgroupDriver(), "runc", handlers,
            defaults.runtime().conmon(), defaults.runtime().catatonit(), true),
        defaults.network(), defaults.metrics(), defaults.streaming(), defaults.registry(), defaults.images(),
        defaults.cdi());

    assertThat(ConfigChanges.between(defaults, next).needRestart()).containsExactly("runtime.handlers");
  }

  @Test
  void whatRunsAfterAReloadTakesTheLiveKeysAndKeepsTheRestUntilARestart() {
    BerthConfig next = everythingChanged();
    BerthConfig running = ConfigChanges.applyLive(defaults, next);

    assertThat(ConfigChanges.between(defaults, running).live()).containsExactlyInAnyOrderElementsOf(ConfigChanges.LIVE);
    assertThat(ConfigChanges.between(defaults, running).needRestart()).isEmpty();
    // Reloading the same file again reports the restart keys again, and applies nothing new.
    ConfigChanges again = ConfigChanges.between(running, next);
    assertThat(again.live()).isEmpty();
    assertThat(again.needRestart()).isEqualTo(ConfigChanges.between(defaults, next).needRestart());
    assertThat(running.logLevel()).isEqualTo("debug");
    assertThat(running.network().cniBinDirs()).containsExactly("/srv/cni/bin");
    assertThat(running.registry().auths()).containsKey("registry.test");
    assertThat(running.registry().platform()).isEqualTo(defaults.registry().platform());
    assertThat(running.images().pinned()).containsExactly("registry.k8s.io/pause:3.10");
    assertThat(running.images().usageIntervalSeconds()).isEqualTo(defaults.images().usageIntervalSeconds());
    assertThat(running.streaming()).isEqualTo(defaults.streaming());
  }

  @Test
  void aRevertedRestartKeyNoLongerNeedsARestart() {
    BerthConfig changed = loader.parse("test", "[streaming]\nport = 10010\n");
    BerthConfig running = ConfigChanges.applyLive(defaults, changed);
    List<String> reported = new ArrayList<>(ConfigChanges.between(running, changed).needRestart());

    assertThat(reported).containsExactly("streaming.port");
    assertThat(ConfigChanges.between(running, loader.parse("test", "")).isEmpty()).isTrue();
  }
}
