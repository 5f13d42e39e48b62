package io.berth.cri.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The {@code [cdi]} table: where CDI spec files are read from. */
class CdiConfigTest {
  private final ConfigLoader loader = new ConfigLoader();

  @Test
  void defaultsAreTheCdiLibrarysDirectories() {
    assertThat(BerthConfig.defaults().cdi().specDirs()).containsExactly("/etc/cdi", "/var/run/cdi");
    assertThat(loader.render(BerthConfig.defaults())).contains("spec_dirs = ['/etc/cdi', '/var/run/cdi']");
  }

  @Test
  void theFileReplacesTheListAndARelativeDirectoryIsRefused() {
    assertThat(loader.parse("t.toml", "[cdi]\nspec_dirs = ['/opt/cdi']\n").cdi().specDirs())
        .containsExactly("/opt/cdi");
    assertThatThrownBy(() -> loader.parse("t.toml", "cdi.spec_dirs = ['cdi']\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cdi.spec_dirs must be an absolute path");
  }

  @Test
  void changingTheDirectoriesNeedsARestart() {
    BerthConfig next = loader.parse("t.toml", "cdi.spec_dirs = ['/opt/cdi']\n");
    assertThat(ConfigChanges.between(BerthConfig.defaults(), next).needRestart()).containsExactly("cdi.spec_dirs");
    assertThat(ConfigChanges.applyLive(BerthConfig.defaults(), next).cdi()).isEqualTo(BerthConfig.defaults().cdi());
  }
}
