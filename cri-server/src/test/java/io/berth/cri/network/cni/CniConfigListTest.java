package io.berth.cri.network.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CniConfigListTest {
  @TempDir Path dir;

  @Test
  void theFirstValidFileInLexicalOrderWinsAndProblemsAreNamed() throws Exception {
    Files.writeString(dir.resolve("00-broken.conflist"), "{not json");
    Files.writeString(dir.resolve("05-old.conflist"),
        "{\"cniVersion\":\"0.2.0\",\"name\":\"old\",\"plugins\":[{\"type\":\"x\"}]}");
    Files.writeString(dir.resolve("10-single.conf"), "{\"cniVersion\":\"0.4.0\",\"name\":\"one\",\"type\":\"bridge\"}");
    Files.writeString(dir.resolve("20-list.conflist"),
        "{\"cniVersion\":\"1.0.0\",\"name\":\"two\",\"plugins\":[{\"type\":\"bridge\"},{\"type\":\"loopback\"}]}");
    Files.writeString(dir.resolve("README"), "not a config");
    List<String> problems = new ArrayList<>();
    var chosen = CniConfigList.load(dir, problems).orElseThrow();
    assertThat(chosen.name()).isEqualTo("one");
    assertThat(chosen.plugins()).singleElement()
        .satisfies(p -> assertThat(p.path("type").asString()).isEqualTo("bridge"));
    assertThat(problems).hasSize(2);
    assertThat(problems.get(1)).contains("05-old.conflist").contains("0.2.0");
  }

  @Test
  void emptyAndMissingDirectoriesSayWhy() throws Exception {
    List<String> problems = new ArrayList<>();
    assertThat(CniConfigList.load(dir, problems)).isEmpty();
    assertThat(problems).singleElement().asString().contains("no network config");
    problems.clear();
    assertThat(CniConfigList.load(dir.resolve("nope"), problems)).isEmpty();
    assertThat(problems).singleElement().asString().contains("does not exist");
  }

  @Test
  void invalidListsAreRefusedWithTheReason() {
    assertThatThrownBy(() -> CniConfigList.parse(dir, "{\"cniVersion\":\"1.0.0\",\"plugins\":[{\"type\":\"b\"}]}"))
        .hasMessageContaining("name");
    assertThatThrownBy(() -> CniConfigList.parse(dir, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[]}"))
        .hasMessageContaining("non-empty");
    assertThatThrownBy(() -> CniConfigList.parse(dir, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{}]}"))
        .hasMessageContaining("type");
  }

  @Test
  void resultsGiveIpv4FirstAndBandwidthQuantitiesAreBits() {
    var result = CniConfigList.JSON.readTree("""
        {"cniVersion":"1.0.0","ips":[{"address":"fd00::5/64","interface":1},{"address":"10.1.0.5/24","interface":1}]}
        """);
    assertThat(CniNetwork.ips(result)).containsExactly("10.1.0.5", "fd00::5");
    assertThat(CniNetwork.ips(null)).isEmpty();
    assertThat(CniNetwork.bandwidth("10M")).isEqualTo(10_000_000L);
    assertThat(CniNetwork.bandwidth("500k")).isEqualTo(500_000L);
    assertThat(CniNetwork.bandwidth(null)).isNull();
  }
}
