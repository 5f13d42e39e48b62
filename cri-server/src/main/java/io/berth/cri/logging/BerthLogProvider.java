package io.berth.cri.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.status.StatusUtil;
import ch.qos.logback.core.util.StatusPrinter2;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * slf4j's binding to logback, named by the launcher ({@code -Dslf4j.provider}) and configured by
 * {@link LogConfigurator} directly. Found through {@code ServiceLoader} and set up by logback's
 * auto-configuration instead, logging opened every jar of the class path looking for providers,
 * configurators and version files: ~50 ms of berthd's start on two cores.
 */
public final class BerthLogProvider implements SLF4JServiceProvider {
  private LoggerContext context;
  private IMarkerFactory markers;
  private LogbackMDCAdapter mdc;

  @Override
  public void initialize() {
    context = new LoggerContext();
    context.setName(CoreConstants.DEFAULT_CONTEXT_NAME);
    mdc = new LogbackMDCAdapter();
    context.setMDCAdapter(mdc);
    if (System.getProperty(LogConfigurator.CONFIG_FILE_PROPERTY) != null) {
      // An operator's own logback file: logback's usual search, which reads it.
      try {
        new ContextInitializer(context).autoConfig();
      } catch (JoranException e) {
        System.err.println("berthd: cannot read the logback configuration: " + e.getMessage());
      }
      // As logback's own provider does: a broken or missing file is said, not silently replaced.
      if (!StatusUtil.contextHasStatusListener(context)) {
        new StatusPrinter2().printInCaseOfErrorsOrWarnings(context);
      }
    } else {
      LogConfigurator configurator = new LogConfigurator();
      configurator.setContext(context);
      configurator.configure(context);
    }
    context.start();
    markers = new BasicMarkerFactory();
  }

  @Override
  public ILoggerFactory getLoggerFactory() {
    return context;
  }

  @Override
  public IMarkerFactory getMarkerFactory() {
    return markers;
  }

  @Override
  public MDCAdapter getMDCAdapter() {
    return mdc;
  }

  @Override
  public String getRequestedApiVersion() {
    return "2.0.99";
  }
}
