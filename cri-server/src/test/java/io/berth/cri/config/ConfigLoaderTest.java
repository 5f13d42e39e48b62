package io.berth.cri.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private final ConfigLoader loader = new ConfigLoader();

  @Test
  void missingDefaultFileGivesBuiltInDefaults(@TempDir Path dir) {
    BerthConfig config = loader.load(dir.resolve("absent.toml"), false);
    assertThat(config).isEqualTo(BerthConfig.defaults());
    assertThat(config.socket()).isEqualTo("/run/berth/berth.sock");
    assertThat(config.runtime().cgroupDriver()).isEqualTo(BerthConfig.CgroupDriver.CGROUPFS);
    assertThat(config.metrics().enabled()).isFalse();
  }

  @Test
  void aFileOfOnlyCommentsAndBlankLinesGivesWhatParsingTheDefaultsGives(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.toml");
    Files.writeString(file, "# berth's configuration\n\n  # root = \"/srv\"\r\n\t\n");
    BerthConfig config = loader.load(file, true);
    assertThat(config).isEqualTo(BerthConfig.defaults());
    assertThat(config).isEqualTo(loader.parse("rendered", loader.render(BerthConfig.defaults())));
    assertThat(ConfigLoader.holdsNoKeys("# only\n[server]\n")).isFalse();
    assertThat(ConfigLoader.holdsNoKeys("")).isTrue();
    assertThat(ConfigLoader.holdsNoKeys(" \t# indented\r\n")).isTrue();
    // Other whitespace is not TOML's: the reader gets the file and refuses it.
    assertThat(ConfigLoader.holdsNoKeys("\u000b# vertical tab\n")).isFalse();
    // The same text from one JVM to the next: tables render in key order.
    assertThat(loader.render(config)).containsSubsequence("runtime.handlers.crun", "runtime.handlers.runc");
  }

  @Test
  void missingNamedFileIsAnError(@TempDir Path dir) {
    Path file = dir.resolve("absent.toml");
    assertThatThrownBy(() -> loader.load(file, true))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("does not exist");
  }

  @Test
  void fileOverridesOnlyWhatItNames(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.toml");
    Files.writeString(file, """
        root = "/srv/berth"
        [metrics]
        port = 9464
        [runtime]
        cgroup_driver = "systemd"
        """);
    BerthConfig config = loader.load(file, true);
    assertThat(config.root()).isEqualTo("/srv/berth");
    assertThat(config.state()).isEqualTo("/run/berth");
    assertThat(config.metrics().port()).isEqualTo(9464);
    assertThat(config.metrics().address()).isEqualTo("127.0.0.1");
    assertThat(config.runtime().cgroupDriver()).isEqualTo(BerthConfig.CgroupDriver.SYSTEMD);
    assertThat(config.runtime().handlers()).containsKeys("runc", "crun");
  }

  @Test
  void handlersTableReplacesTheDefaults() {
    BerthConfig config = loader.parse("t.toml", """
        [runtime]
        default_handler = "crun"
        [runtime.handlers]
        crun = "/usr/local/bin/crun"
        """);
    assertThat(config.runtime().handlers()).isEqualTo(Map.of("crun", "/usr/local/bin/crun"));
  }

  @Test
  void unknownTopLevelKeyNamesFileAndKey() {
    assertThatThrownBy(() -> loader.parse("/etc/berth/config.toml", "sockett = \"/x\"\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("config /etc/berth/config.toml: unknown key 'sockett'");
  }

  @Test
  void unknownNestedKeyNamesItsFullPath() {
    assertThatThrownBy(() -> loader.parse("c.toml", "[metrics]\nprot = 1\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("config c.toml: unknown key 'metrics.prot'");
  }

  @Test
  void malformedTomlIsReported() {
    assertThatThrownBy(() -> loader.parse("c.toml", "root = \n[[["))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config c.toml: malformed TOML");
  }

  @Test
  void wrongTypeNamesTheKey() {
    assertThatThrownBy(() -> loader.parse("c.toml", "[metrics]\nport = \"many\"\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config c.toml: key 'metrics.port'");
  }

  @Test
  void invalidValueGivesTheReason() {
    assertThatThrownBy(() -> loader.parse("c.toml", "root = \"relative/dir\"\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("config c.toml")
        .hasMessageContaining("root must be an absolute path");
    assertThatThrownBy(() -> loader.parse("c.toml", "[runtime]\ncgroup_driver = \"cgroupv3\"\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("runtime.cgroup_driver");
    assertThatThrownBy(() -> loader.parse("c.toml", "log_level = \"loud\"\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("log_level must be one of");
  }

  @Test
  void renderedConfigParsesBackToTheSameValue() {
    BerthConfig custom =
        loader.parse("c.toml", "state = \"/run/other\"\n[network]\ncni_bin_dirs = [\"/a\", \"/b\"]\n");
    String rendered = loader.render(custom);
    assertThat(loader.parse("rendered", rendered)).isEqualTo(custom);
    assertThat(rendered).contains("cgroup_driver = 'cgroupfs'");
  }

  @Test
  void jsonRenderingUsesSnakeCaseKeys() {
    assertThat(loader.renderJson(BerthConfig.defaults()))
        .contains("\"cgroup_driver\":\"cgroupfs\"")
        .contains("\"shutdown_grace_seconds\":10");
  }

  @Test
  void everyRenderedKeyBindsBack() {
    // Every key set away from its default, so a key the binder forgot or misnamed shows.
    BerthConfig custom = new BerthConfig("/r", "/s", "/s/b.sock", "debug",
        new BerthConfig.Server(1, 2048, 3, 4),
        new BerthConfig.Runtime(BerthConfig.CgroupDriver.SYSTEMD, "kata", Map.of("kata", "/k"), "/c", "/i", false),
        new BerthConfig.Network("/n", List.of("/b1"), 5),
        new BerthConfig.Metrics("0.0.0.0", 6),
        new BerthConfig.Streaming("::1", 7, "/cert", "/key", 8, 9),
        new BerthConfig.Registry("/certs", "linux/arm64/v8", 10, 11, 12, 13,
            Map.of("registry.example:5000", new BerthConfig.Auth("u", "p", "dTpw"))),
        new BerthConfig.Images(List.of("pause"), 14, "/containers"),
        new BerthConfig.Cdi(List.of("/cdi")));
    assertThat(loader.parse("rendered", loader.render(custom))).isEqualTo(custom);
  }

  @Test
  void registryAuthsAreATableOfHostTables() {
    BerthConfig config = loader.parse("c.toml", """
        [registry.auths."registry.example:5000"]
        username = "u"
        password = "p"
        [registry.auths]
        "other.example" = { auth = "dTpw" }
        """);
    assertThat(config.registry().auths()).isEqualTo(Map.of(
        "registry.example:5000", new BerthConfig.Auth("u", "p", null),
        "other.example", new BerthConfig.Auth(null, null, "dTpw")));
  }

  @Test
  void typesAreStrict() {
    assertThatThrownBy(() -> loader.parse("c.toml", "[server]\nshutdown_grace_seconds = 1.5\n"))
        .hasMessage("config c.toml: key 'server.shutdown_grace_seconds': expected an integer, got a float");
    assertThatThrownBy(() -> loader.parse("c.toml", "[metrics]\nport = 4294967296\n"))
        .hasMessage("config c.toml: key 'metrics.port': 4294967296 is out of range");
    assertThatThrownBy(() -> loader.parse("c.toml", "root = 5\n"))
        .hasMessage("config c.toml: key 'root': expected a string, got an integer");
    assertThatThrownBy(() -> loader.parse("c.toml", "[runtime]\ndrop_infra_container = \"yes\"\n"))
        .hasMessage("config c.toml: key 'runtime.drop_infra_container': expected true or false, got a string");
    assertThatThrownBy(() -> loader.parse("c.toml", "[network]\ncni_bin_dirs = [\"/a\", 2]\n"))
        .hasMessage("config c.toml: key 'network.cni_bin_dirs[1]': expected a string, got an integer");
    assertThatThrownBy(() -> loader.parse("c.toml", "[network]\ncni_bin_dirs = \"/a\"\n"))
        .hasMessage("config c.toml: key 'network.cni_bin_dirs': expected an array of strings, got a string");
    assertThatThrownBy(() -> loader.parse("c.toml", "server = 1\n"))
        .hasMessage("config c.toml: key 'server': expected a table, got an integer");
    assertThatThrownBy(() -> loader.parse("c.toml", "[runtime.handlers]\nrunc = 1\n"))
        .hasMessage("config c.toml: key 'runtime.handlers.runc': expected a string, got an integer");
    assertThatThrownBy(() -> loader.parse("c.toml", "[runtime]\ncgroup_driver = \"Systemd\"\n"))
        .hasMessage("config c.toml: key 'runtime.cgroup_driver': 'Systemd' is neither 'cgroupfs' nor 'systemd'");
  }

  @Test
  void anUnknownKeyInAHostsCredentialsNamesItsPath() {
    assertThatThrownBy(() -> loader.parse("c.toml", "[registry.auths.\"r.example\"]\nuser = \"u\"\n"))
        .hasMessage("config c.toml: unknown key 'registry.auths.\"r.example\".user'");
    assertThatThrownBy(() -> loader.parse("c.toml", "[registry.auths]\n\"r.example\" = \"u:p\"\n"))
        .hasMessage("config c.toml: key 'registry.auths.\"r.example\"': expected a table, got a string");
  }
}
