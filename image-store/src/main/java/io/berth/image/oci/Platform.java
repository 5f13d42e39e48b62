package io.berth.image.oci;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.berth.image.ImageException;

/** os/architecture[/variant] of an image, as in an index entry or an image config. */
public record Platform(String architecture, String os, String variant, @JsonProperty("os.version") String osVersion) {
  public static final Platform LINUX_AMD64 = new Platform("amd64", "linux", null, null);

  /** Parses {@code os/arch[/variant]}. */
  public static Platform parse(String value) {
    String[] parts = value.split("/");
    if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
      throw new ImageException.InvalidReference("platform '" + value + "' is not os/architecture[/variant]");
    }
    return new Platform(parts[1], parts[0], parts.length == 3 ? parts[2] : null, null);
  }

  /**
   * Whether an index entry for {@code candidate} can run here. A wanted variant must match; a
   * missing variant matches the architecture's default (arm64 means v8).
   */
  public boolean accepts(Platform candidate) {
    if (candidate == null || !os.equals(candidate.os()) || !architecture.equals(candidate.architecture())) {
      return false;
    }
    String want = normaliseVariant(architecture, variant);
    String have = normaliseVariant(candidate.architecture(), candidate.variant());
    return want == null || have == null || want.equals(have);
  }

  private static String normaliseVariant(String architecture, String variant) {
    if (variant == null || variant.isEmpty()) {
      return "arm64".equals(architecture) ? "v8" : null;
    }
    return variant;
  }

  @Override
  public String toString() {
    return os + "/" + architecture + (variant != null ? "/" + variant : "");
  }
}
