package io.berth.cri.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * berth's logging, set up in code instead of from a {@code logback.xml} (berthd's
 * {@link BerthLogProvider} calls it; elsewhere, tests and berthctl, logback finds it through
 * {@code META-INF/services}): every event on stderr as a {@link LogLineLayout} line,
 * INFO by default (berthd applies its {@code log_level}), the chatty libraries at WARN.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
  /** logback's own property naming a configuration file. */
  static final String CONFIG_FILE_PROPERTY = "logback.configurationFile";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty(CONFIG_FILE_PROPERTY) != null) {
      // An operator's own logback file (BERTH_JAVA_OPTS=-Dlogback.configurationFile=...) wins.
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    LogLineLayout layout = new LogLineLayout();
    layout.setContext(context);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(context);
    encoder.setLayout(layout);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("stderr");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();

    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(stderr);
    context.getLogger("io.grpc").setLevel(Level.WARN);
    context.getLogger("io.netty").setLevel(Level.WARN);
    // grpc-netty asks every channel for SO_KEEPALIVE, which unix sockets do not have.
    context.getLogger("io.netty.bootstrap").setLevel(Level.ERROR);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
