package io.berth.cri;

import static org.assertj.core.api.Assertions.assertThat;

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
}
