package io.berth.cri.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.TimeZone;

/**
 * One log line per event: {@code 2026-12-04T19:09:22.132Z INFO  Daemon - message}, then the
 * stack trace of an exception if there is one. Written out by hand because logback's pattern
 * parser and its configuration file reader were a tenth of berthd's start-up.
 */
public final class LogLineLayout extends LayoutBase<ILoggingEvent> {
  private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
  /**
   * The host's zone, asked for its offset at each event. Not a {@code ZoneId}: the first zone
   * region looked up loads java.time's zone rules providers through {@code ServiceLoader}, which
   * opens every jar of the class path (~50 ms of berthd's start on two cores).
   */
  private static final TimeZone LOCAL = TimeZone.getDefault();

  @Override
  public String doLayout(ILoggingEvent event) {
    StringBuilder line = new StringBuilder(128);
    long millis = event.getTimeStamp();
    ZoneOffset offset = ZoneOffset.ofTotalSeconds(LOCAL.getOffset(millis) / 1000);
    TIMESTAMP.formatTo(Instant.ofEpochMilli(millis).atOffset(offset), line);
    String level = event.getLevel().toString();
    line.append(' ').append(level);
    for (int pad = level.length(); pad < 5; pad++) {
      line.append(' ');
    }
    String logger = event.getLoggerName();
    line.append(' ').append(logger, logger.lastIndexOf('.') + 1, logger.length())
        .append(" - ").append(event.getFormattedMessage()).append(CoreConstants.LINE_SEPARATOR);
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      line.append(ThrowableProxyUtil.asString(thrown)); // ends with its own line separator
    }
    return line.toString();
  }
}
