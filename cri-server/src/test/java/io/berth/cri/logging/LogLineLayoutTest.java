package io.berth.cri.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.time.Instant;
import java.util.TimeZone;
import org.junit.jupiter.api.Test;

class LogLineLayoutTest {
  private final LoggerContext context = new LoggerContext();
  private final Logger logger = context.getLogger("io.berth.cri.Daemon");

  @Test
  void aLineHasTheTimestampThePaddedLevelTheClassNameAndTheMessage() {
    LoggingEvent event = new LoggingEvent("x", logger, Level.INFO, "serving socket={}", null, new Object[] {"/run/b"});
    event.setTimeStamp(Instant.parse("2026-12-04T19:09:22.132Z").toEpochMilli());

    String line = new LogLineLayout().doLayout(event);

    String zone = TimeZone.getDefault().getRawOffset() == 0 ? "Z" : "";
    assertThat(line).matches("2026-12-04T\\d\\d:\\d\\d:22\\.132\\S*" + zone + " INFO  Daemon - serving socket=/run/b"
        + System.lineSeparator());
  }

  @Test
  void anExceptionFollowsTheLineWithItsStackTrace() {
    LoggingEvent event = new LoggingEvent("x", logger, Level.ERROR, "cannot stop", new IllegalStateException("stuck"),
        null);

    String line = new LogLineLayout().doLayout(event);

    assertThat(line).contains(" ERROR Daemon - cannot stop" + System.lineSeparator()
        + "java.lang.IllegalStateException: stuck");
    assertThat(line).contains("at " + LogLineLayoutTest.class.getName());
    // One line separator after the last frame, as the old pattern wrote it: no blank line.
    assertThat(line).endsWith(")" + System.lineSeparator()).doesNotEndWith(System.lineSeparator().repeat(2));
  }

  @Test
  void anOperatorsOwnLogbackFileIsLeftToLogback() {
    String before = System.getProperty(LogConfigurator.CONFIG_FILE_PROPERTY);
    System.setProperty(LogConfigurator.CONFIG_FILE_PROPERTY, "/etc/berth/logback.xml");
    try {
      LoggerContext fresh = new LoggerContext();
      assertThat(new LogConfigurator().configure(fresh)).isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
      assertThat(fresh.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("stderr")).isNull();
    } finally {
      if (before == null) {
        System.clearProperty(LogConfigurator.CONFIG_FILE_PROPERTY);
      } else {
        System.setProperty(LogConfigurator.CONFIG_FILE_PROPERTY, before);
      }
    }
  }

  @Test
  void theConfiguratorSendsInfoToStderrAndQuietensTheLibraries() {
    LoggerContext fresh = new LoggerContext();
    new LogConfigurator().configure(fresh);

    assertThat(fresh.getLogger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.INFO);
    assertThat(fresh.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("stderr")).isNotNull();
    assertThat(fresh.getLogger("io.netty.channel").getEffectiveLevel()).isEqualTo(Level.WARN);
    assertThat(fresh.getLogger("io.grpc.internal").getEffectiveLevel()).isEqualTo(Level.WARN);
    assertThat(fresh.getLogger("io.netty.bootstrap").getEffectiveLevel()).isEqualTo(Level.ERROR);
  }
}
