package io.berth.cri.systemd;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.sys.RecordingSyscalls;
import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The status line follows the counts, is sent only when it changed, and costs nothing without a service manager. */
class StatusReporterTest {
  private final RecordingSyscalls sys = new RecordingSyscalls();
  private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
  private final AtomicInteger pods = new AtomicInteger();

  @AfterEach
  void stop() {
    timer.shutdownNow();
  }

  private String line() {
    return "serving, " + pods.get() + " pods";
  }

  @Test
  void eachCheckSendsTheLineOnlyWhenItChanged() {
    var notifier = new ServiceNotifier(sys, "/run/notify", 1, () -> 0);
    notifier.ready(line());
    var reporter = new StatusReporter(notifier, this::line, Duration.ofSeconds(3), timer);

    reporter.check();
    pods.set(2);
    reporter.check();
    reporter.check();
    pods.set(0);
    reporter.check();

    assertThat(sys.datagrams("/run/notify")).containsExactly(
        "READY=1\nSTATUS=serving, 0 pods\nMAINPID=1", "STATUS=serving, 2 pods", "STATUS=serving, 0 pods");
    assertThat(timer.getQueue()).hasSize(1);
    reporter.close();
    assertThat(timer.isShutdown()).isTrue();
  }

  @Test
  void aFailingLineDoesNotEndTheChecks() {
    var notifier = new ServiceNotifier(sys, "/run/notify", 1, () -> 0);
    var reporter = new StatusReporter(notifier, () -> {
      throw new IllegalStateException("table closed");
    }, Duration.ofSeconds(3), timer);

    reporter.check();

    assertThat(sys.calls()).isEmpty();
  }

  @Test
  void withoutAServiceManagerNothingIsScheduled() {
    var notifier = new ServiceNotifier(sys, null, 1, () -> 0);
    new StatusReporter(notifier, this::line, Duration.ofSeconds(3), timer);

    assertThat(timer.getQueue()).isEmpty();
  }
}
