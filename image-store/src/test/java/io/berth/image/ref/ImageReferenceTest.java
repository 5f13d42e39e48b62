package io.berth.image.ref;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.image.ImageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImageReferenceTest {
  private static final String D = "sha256:" + "a".repeat(64);

  @ParameterizedTest
  @CsvSource({
      "busybox, docker.io/library/busybox:latest",
      "busybox:1.36, docker.io/library/busybox:1.36",
      "library/busybox, docker.io/library/busybox:latest",
      "user/app:v1, docker.io/user/app:v1",
      "index.docker.io/user/app, docker.io/user/app:latest",
      "registry.k8s.io/pause:3.9, registry.k8s.io/pause:3.9",
      "localhost/app, localhost/app:latest",
      "localhost:5000/ns/sub/repo:tag, localhost:5000/ns/sub/repo:tag",
      "127.0.0.1:5000/a_b/c-d.e:x, 127.0.0.1:5000/a_b/c-d.e:x",
      "[::1]:5000/repo:1, [::1]:5000/repo:1",
  })
  void normalisesAsTheEcosystemDoes(String input, String normalised) {
    assertThat(ImageReference.parse(input).toString()).isEqualTo(normalised);
  }

  @Test
  void digestsAndTagPlusDigest() {
    ImageReference byDigest = ImageReference.parse("quay.io/x/y@" + D);
    assertThat(byDigest.tag()).isNull();
    assertThat(byDigest.manifestReference()).isEqualTo(D);
    assertThat(byDigest.toString()).isEqualTo("quay.io/x/y@" + D);
    ImageReference both = ImageReference.parse("busybox:1@" + D);
    assertThat(both.tag()).isEqualTo("1");
    assertThat(both.manifestReference()).as("the digest decides").isEqualTo(D);
    assertThat(both.tagged()).isEqualTo("docker.io/library/busybox:1");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Busybox", "busybox:", "busybox:-x", "a//b", "a/b/", "busybox@sha256:12",
      "busybox@md5:" + "a", "bad host!/x", "localhost:99999/x", "localhost:0/x", "127.0.0.1:123456789012/x"})
  void rejectsInvalidReferencesNamingThem(String input) {
    assertThatThrownBy(() -> ImageReference.parse(input))
        .isInstanceOf(ImageException.InvalidReference.class)
        .hasMessageContaining(input.isEmpty() ? "empty" : input);
  }
}
