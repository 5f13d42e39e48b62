package io.berth.cri.systemd;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the service manager's status line current ({@code systemctl status} shows it): every
 * period the line is computed again, from counts held in memory, and sent when it changed.
 * Nothing is scheduled when there is no service manager. Closed once.
 */
public final class StatusReporter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StatusReporter.class);

  private final ServiceNotifier notifier;
  private final Supplier<String> line;
  private final ScheduledExecutorService timer;

  /** Checks {@code line} every {@code period} on {@code timer}, which {@link #close} shuts down. */
  StatusReporter(ServiceNotifier notifier, Supplier<String> line, Duration period, ScheduledExecutorService timer) {
    this.notifier = notifier;
    this.line = line;
    this.timer = timer;
    if (notifier.enabled()) {
      timer.scheduleWithFixedDelay(this::check, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  public static StatusReporter start(ServiceNotifier notifier, Supplier<String> line, Duration period) {
    return new StatusReporter(notifier, line, period,
        Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("service-status").factory()));
  }

  /** One check; an exception must not end the periodic task, which would never run again. */
  void check() {
    try {
      notifier.status(line.get());
    } catch (RuntimeException e) {
      log.warn("cannot compute the service status line: {}", e.toString());
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
