package io.berth.cri;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How berthd's flags and configuration file combine into the effective paths. */
class BerthdTest {
  @TempDir Path dir;

  private Berthd withFile(String toml) throws Exception {
    Path file = dir.resolve("config.toml");
    Files.writeString(file, toml);
    Berthd berthd = new Berthd();
    berthd.configFile = file;
    return berthd;
  }

  @Test
  void aDefaultSocketFollowsAStateDirectoryMovedByTheFile() throws Exception {
    var config = withFile("state = '/run/berth-other'\n").effectiveConfig();
    assertThat(config.socket()).isEqualTo("/run/berth-other/berth.sock");
  }

  @Test
  void aDefaultSocketFollowsAStateDirectoryMovedByTheFlag() throws Exception {
    Berthd berthd = withFile("");
    berthd.state = "/run/berth-flag";
    assertThat(berthd.effectiveConfig().socket()).isEqualTo("/run/berth-flag/berth.sock");
  }

  @Test
  void aSocketSetInTheFileOrByFlagStaysWhereItWasPut() throws Exception {
    Berthd fromFile = withFile("state = '/run/berth-other'\nsocket = '/run/elsewhere.sock'\n");
    assertThat(fromFile.effectiveConfig().socket()).isEqualTo("/run/elsewhere.sock");
    Berthd fromFlag = withFile("state = '/run/berth-other'\n");
    fromFlag.socket = "/run/flag.sock";
    assertThat(fromFlag.effectiveConfig().socket()).isEqualTo("/run/flag.sock");
  }

  @Test
  void withNothingMovedTheSocketIsTheDefault() throws Exception {
    assertThat(withFile("").effectiveConfig().socket()).isEqualTo("/run/berth/berth.sock");
  }

  @Test
  void flagsAreTakenWithOrWithoutEqualsSign() throws Exception {
    Path file = dir.resolve("config.toml");
    Files.writeString(file, "");
    Berthd berthd = new Berthd();
    assertThat(berthd.run(new String[] {"--config", file.toString(), "--root=/srv/berth", "--state", "/run/b",
        "--socket=/run/b.sock", "--log-level", "debug", "config", "default"})).isZero();
    assertThat(berthd.configFile).isEqualTo(file);
    assertThat(berthd.effectiveConfig().root()).isEqualTo("/srv/berth");
    assertThat(berthd.effectiveConfig().state()).isEqualTo("/run/b");
    assertThat(berthd.effectiveConfig().socket()).isEqualTo("/run/b.sock");
    assertThat(berthd.effectiveConfig().logLevel()).isEqualTo("debug");
  }

  @Test
  void anUnknownOptionOrCommandOrAMissingValueIsAUsageError() {
    assertThatThrownBy(() -> new Berthd().run(new String[] {"--rot=/x"}))
        .isInstanceOf(Berthd.UsageException.class).hasMessageContaining("--rot=/x");
    assertThatThrownBy(() -> new Berthd().run(new String[] {"config", "show"}))
        .isInstanceOf(Berthd.UsageException.class).hasMessageContaining("config show");
    assertThatThrownBy(() -> new Berthd().run(new String[] {"--root"}))
        .isInstanceOf(Berthd.UsageException.class).hasMessageContaining("--root");
  }
}
