package io.berth.it.harness;

import java.nio.file.Files;
import java.nio.file.Path;

/** The checkout under test: where bin/berthd and bin/berthctl were built by {@code make build}. */
public final class BerthHome {
  private BerthHome() {}

  public static Path path() {
    String configured = System.getProperty("berth.home");
    Path home = configured != null && !configured.isBlank()
        ? Path.of(configured)
        : Path.of("..").toAbsolutePath().normalize();
    if (!Files.isExecutable(home.resolve("bin/berthd"))) {
      throw new IllegalStateException(home.resolve("bin/berthd") + " is missing: run `make build` first");
    }
    return home;
  }

  public static Path berthd() {
    return path().resolve("bin/berthd");
  }

  public static Path berthctl() {
    return path().resolve("bin/berthctl");
  }
}
