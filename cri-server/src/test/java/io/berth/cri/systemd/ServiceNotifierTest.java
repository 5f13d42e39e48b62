package io.berth.cri.systemd;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.berth.sys.Errno;
import io.berth.sys.LinuxSyscalls;
import io.berth.sys.RecordingSyscalls;
import io.berth.sys.Spawn;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The sd_notify messages berthd sends, exactly, and what it does without a service manager or when one is gone. */
class ServiceNotifierTest {
  private static final String SOCKET = "/run/systemd/notify";
  private final RecordingSyscalls sys = new RecordingSyscalls();
  private final ServiceNotifier notifier = new ServiceNotifier(sys, SOCKET, 4242, () -> 123_456_789L);

  @Test
  void eachStateIsOneDatagramOfAssignments() {
    notifier.ready("serving, 0 pods, 0 containers");
    notifier.status("serving, 1 pod, 2 containers");
    notifier.reloading();
    notifier.ready("serving, 1 pod, 2 containers");
    notifier.stopping();

    assertThat(sys.datagrams(SOCKET)).containsExactly(
        "READY=1\nSTATUS=serving, 0 pods, 0 containers\nMAINPID=4242",
        "STATUS=serving, 1 pod, 2 containers",
        "RELOADING=1\nSTATUS=reloading the configuration\nMONOTONIC_USEC=123456789",
        "READY=1\nSTATUS=serving, 1 pod, 2 containers\nMAINPID=4242",
        "STOPPING=1\nSTATUS=stopping");
  }

  @Test
  void anUnchangedStatusIsNotSentAgainAndANewlineCannotStartAnAssignment() {
    notifier.ready("serving, 0 pods, 0 containers");
    notifier.status("serving, 0 pods, 0 containers");
    notifier.status("serving, 1 pod, 0 containers");
    notifier.status("serving, 1 pod, 0 containers");
    notifier.status("two\nlines");

    assertThat(sys.datagrams(SOCKET)).containsExactly(
        "READY=1\nSTATUS=serving, 0 pods, 0 containers\nMAINPID=4242",
        "STATUS=serving, 1 pod, 0 containers",
        "STATUS=two lines");
  }

  @Test
  void withoutNotifySocketNothingIsSent() {
    ServiceNotifier none = ServiceNotifier.fromEnvironment(sys, Map.of());
    none.ready("serving");
    none.status("serving, 1 pod, 0 containers");
    none.reloading();
    none.stopping();

    assertThat(none.enabled()).isFalse();
    assertThat(sys.calls()).isEmpty();
  }

  @Test
  void anAbstractNameGoesToTheSocketLayerAsGivenAndARelativeOneIsRefused() {
    ServiceNotifier abstractName = ServiceNotifier.fromEnvironment(sys, Map.of("NOTIFY_SOCKET", "@/org/systemd/x"));
    abstractName.stopping();
    assertThat(sys.datagrams("@/org/systemd/x")).containsExactly("STOPPING=1\nSTATUS=stopping");

    ServiceNotifier relative = ServiceNotifier.fromEnvironment(sys, Map.of("NOTIFY_SOCKET", "notify.sock"));
    relative.stopping();
    assertThat(relative.enabled()).isFalse();
    assertThat(sys.calls("sendDatagram")).hasSize(1);
  }

  @Test
  void aFailedSendIsLoggedOnceAndNeverThrown() {
    Logger logger = (Logger) LoggerFactory.getLogger(ServiceNotifier.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    try {
      sys.failOn("sendDatagram", Errno.ECONNREFUSED);
      notifier.ready("serving");
      notifier.status("serving, 1 pod, 0 containers");
      notifier.stopping();
    } finally {
      logger.detachAppender(logged);
    }

    assertThat(sys.calls("sendDatagram")).hasSize(3).allMatch(RecordingSyscalls.Call::failed);
    assertThat(logged.list).singleElement().satisfies(event ->
        assertThat(event.getFormattedMessage()).contains("NOTIFY_SOCKET=" + SOCKET).contains("ECONNREFUSED"));
  }

  @Test
  void aRealDatagramSocketReceivesReady(@TempDir Path dir) throws Exception {
    LinuxSyscalls real = LinuxSyscalls.INSTANCE;
    String path = dir.resolve("notify").toString();
    int fd = real.bindDatagram(path);
    try {
      ServiceNotifier.fromEnvironment(real, Map.of("NOTIFY_SOCKET", path)).ready("serving, 0 pods, 0 containers");

      assertThat(Spawn.pollReadable(new int[] {fd}, 5000)[0]).isTrue();
      byte[] buffer = new byte[4096];
      int n = real.read(fd, buffer);
      assertThat(new String(buffer, 0, n, StandardCharsets.UTF_8))
          .isEqualTo("READY=1\nSTATUS=serving, 0 pods, 0 containers\nMAINPID=" + ProcessHandle.current().pid());
    } finally {
      real.close(fd);
    }
  }
}
