package io.berth.cri.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.InvalidArgumentException;
import org.junit.jupiter.api.Test;

/** The shared field checks: echo bounded and printable, paths confined, ids mappable. */
class FieldRulesTest {
  @Test
  void theEchoIsShortAndHasNoControlCharacters() {
    assertThat(FieldRules.printable("a\nb\0c\u001b")).isEqualTo("a\\x0ab\\x00c\\x1b");
    assertThat(FieldRules.printable("x".repeat(1 << 20))).hasSizeLessThan(120).endsWith("(1048576 chars)");
  }

  @Test
  void aRelativePathMustStayInsideItsDirectory() {
    assertThatCode(() -> FieldRules.relativeInside("log_path", "web/0.log")).doesNotThrowAnyException();
    for (String path : new String[] {"../../../tmp/x.log", "/tmp/x.log", "a/../../b", "./x", "a//b", "a/", "x\0",
        "x".repeat(256), "a/".repeat(2048) + "b"}) {
      assertThatThrownBy(() -> FieldRules.relativeInside("log_path", path))
          .isInstanceOf(InvalidArgumentException.class).hasMessageStartingWith("log_path '");
    }
  }

  @Test
  void absolutePathsAndIds() {
    assertThatCode(() -> FieldRules.absolute("working_dir", "")).doesNotThrowAnyException();
    assertThatThrownBy(() -> FieldRules.absolute("working_dir", "app"))
        .hasMessage("working_dir 'app' is not an absolute path");
    assertThatThrownBy(() -> FieldRules.absoluteNoParent("log_directory", "/var/log/../../etc"))
        .hasMessageContaining("'..'");
    assertThatCode(() -> FieldRules.id("run_as_user", FieldRules.MAX_ID)).doesNotThrowAnyException();
    assertThatThrownBy(() -> FieldRules.id("run_as_user", -1)).hasMessageContaining("run_as_user -1");
    assertThatThrownBy(() -> FieldRules.id("run_as_user", 1L << 32)).isInstanceOf(InvalidArgumentException.class);
  }
}
