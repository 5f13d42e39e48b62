package io.berth.cri.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DottedVersionTest {
  @Test
  void packagingSuffixesDoNotCountAndPreReleasesRankBelowTheRelease() {
    assertThat(DottedVersion.of("1.1.5+ds1").release()).isEqualTo("1.1.5");
    assertThat(DottedVersion.of("0.1.7_catatonit").release()).isEqualTo("0.1.7");
    assertThat(DottedVersion.of("1.1.5+ds1").isBelow("1.1.12")).isTrue();
    assertThat(DottedVersion.of("1.1.12").isBelow("1.1.12")).isFalse();
    assertThat(DottedVersion.of("1.4.0-rc.2").isBelow("1.4.0-rc.3")).isTrue();
    assertThat(DottedVersion.of("1.4.0-rc.3").isBelow("1.4.0")).isTrue();
    assertThat(DottedVersion.of("1.0.0~rc93").isBelow("1.0.0")).isTrue();
    assertThat(DottedVersion.of("v1.2.8").isAtLeast("1.2.8")).isTrue();
    assertThat(DottedVersion.of("1.3").isAtLeast("1.3.0")).isTrue();
  }

  @Test
  void aKernelsLocalTagIsNotAPreRelease() {
    DottedVersion kernel = DottedVersion.kernel("6.18.44-fc-v1252\n").orElseThrow();
    assertThat(kernel.isAtLeast("6.18.44")).isTrue();
    assertThat(kernel.major()).isEqualTo(6);
    assertThat(kernel.minor()).isEqualTo(18);
    assertThat(DottedVersion.parse("not a version")).isEmpty();
  }
}
