package io.berth.cri.config;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.util.List;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/** The log levels berthd accepts on the command line and in the config file, and how one is put in force. */
public final class LogLevels {
  public static final List<String> ALL = List.of("trace", "debug", "info", "warn", "error");

  private LogLevels() {}

  static void require(String level) {
    if (level == null || !ALL.contains(level.toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException("log_level must be one of " + ALL + ", got '" + level + "'");
    }
  }

  /** Sets the root logger's level: at start, and again when a reload changes it. */
  public static void apply(String level) {
    Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(level, Level.INFO));
  }
}
