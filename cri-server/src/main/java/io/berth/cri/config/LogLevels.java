package io.berth.cri.config;

import java.util.List;
import java.util.Locale;

/** The log levels berthd accepts on the command line and in the config file. */
public final class LogLevels {
  public static final List<String> ALL = List.of("trace", "debug", "info", "warn", "error");

  private LogLevels() {}

  static void require(String level) {
    if (level == null || !ALL.contains(level.toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException("log_level must be one of " + ALL + ", got '" + level + "'");
    }
  }
}
