package io.berth.snapshot;

import java.util.List;
import java.util.Objects;

/** A mount as data: {@code mount -t TYPE -o OPTIONS SOURCE TARGET}. */
public record Mount(String type, String source, List<String> options) {
  public Mount {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(source, "source");
    options = List.copyOf(options);
  }

  public boolean readOnly() {
    return options.contains("ro");
  }
}
