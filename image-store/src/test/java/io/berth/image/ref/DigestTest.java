package io.berth.image.ref;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.image.ImageException;
import io.berth.image.pull.ChainIds;
import java.util.List;
import org.junit.jupiter.api.Test;

class DigestTest {
  @Test
  void digestOfContentAndParsing() {
    Digest empty = Digest.of(new byte[0]);
    assertThat(empty.toString()).isEqualTo("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assertThat(Digest.parse(empty.toString())).isEqualTo(empty);
    assertThatThrownBy(() -> Digest.parse("sha256:XYZ")).isInstanceOf(ImageException.InvalidReference.class);
    assertThatThrownBy(() -> Digest.parse("sha512:" + "a".repeat(128)))
        .isInstanceOf(ImageException.InvalidReference.class);
  }

  @Test
  void chainIdsFollowTheOciDefinition() {
    String a = Digest.of("a".getBytes()).toString();
    String b = Digest.of("b".getBytes()).toString();
    List<String> chain = ChainIds.of(List.of(a, b));
    assertThat(chain.get(0)).isEqualTo(a);
    assertThat(chain.get(1)).isEqualTo(Digest.of((a + " " + b).getBytes()).toString());
  }
}
