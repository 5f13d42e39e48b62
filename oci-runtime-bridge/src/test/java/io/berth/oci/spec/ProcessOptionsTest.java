package io.berth.oci.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** argv, environment, oom_score_adj. */
class ProcessOptionsTest {
  private static final ImageRuntimeDefaults IMAGE = new ImageRuntimeDefaults("", List.of("PATH=/bin", "A=image"),
      List.of("/entry"), List.of("default-arg"), "/srv");

  @Test
  void argvFollowsTheKubernetesRules() {
    assertThat(ProcessArgs.of(List.of(), List.of(), IMAGE)).containsExactly("/entry", "default-arg");
    assertThat(ProcessArgs.of(List.of(), List.of("x"), IMAGE)).containsExactly("/entry", "x");
    assertThat(ProcessArgs.of(List.of("/bin/sh"), List.of(), IMAGE)).as("command drops the image's Cmd")
        .containsExactly("/bin/sh");
    assertThat(ProcessArgs.of(List.of("/bin/sh"), List.of("-c", "true"), IMAGE))
        .containsExactly("/bin/sh", "-c", "true");
    ImageRuntimeDefaults bare = new ImageRuntimeDefaults(null, null, null, null, null);
    assertThatThrownBy(() -> ProcessArgs.of(List.of(), List.of(), bare)).isInstanceOf(SpecException.class)
        .hasMessageContaining("no command");
  }

  @Test
  void configEnvironmentWinsInPlaceAndPathDefaults() {
    assertThat(Environment.merge(IMAGE.env(), List.of(Map.entry("A", "config"), Map.entry("B", "b")), "pod-1"))
        .containsExactly("PATH=/bin", "A=config", "B=b", "HOSTNAME=pod-1");
    assertThat(Environment.merge(List.of(), List.of(), null)).containsExactly(Environment.DEFAULT_PATH);
    assertThatThrownBy(() -> Environment.merge(List.of(), List.of(Map.entry("A=B", "x")), null))
        .isInstanceOf(SpecException.class);
  }

  @Test
  void oomScoreAdjIsClampedWithoutCapSysResource() {
    assertThat(OomScoreAdj.of(-998, 0, false)).isZero();
    assertThat(OomScoreAdj.of(-998, 0, true)).isEqualTo(-998);
    assertThat(OomScoreAdj.of(1000, 0, false)).isEqualTo(1000);
    assertThat(OomScoreAdj.of(5000, -500, false)).isEqualTo(1000);
  }
}
