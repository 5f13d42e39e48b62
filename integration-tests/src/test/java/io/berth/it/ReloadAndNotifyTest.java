package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.Pods;
import io.berth.proto.runtime.v1.StatusRequest;
import io.berth.proto.runtime.v1.VersionRequest;
import io.berth.sys.LinuxSyscalls;
import io.berth.sys.Spawn;
import io.berth.sys.SyscallException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * berthd under a service manager, played by the test: the sd_notify datagrams it sends to
 * NOTIFY_SOCKET (READY with its PID, STATUS with its counts, RELOADING and READY around a
 * reload, STOPPING), and SIGHUP reloads that apply the log level live, report what needs a
 * restart, and refuse a broken file while berthd keeps serving on the settings it had.
 */
class ReloadAndNotifyTest {
  private static final int SIGHUP = 1;
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Pattern MONOTONIC = Pattern.compile("MONOTONIC_USEC=(\\d+)");

  @TempDir Path work;

  /** The receiving end of NOTIFY_SOCKET: a bound datagram socket and a thread that keeps every message. */
  static final class NotifySocket implements AutoCloseable {
    private final LinuxSyscalls sys = LinuxSyscalls.INSTANCE;
    private final String path;
    private final int fd;
    private final List<String> messages = new CopyOnWriteArrayList<>();
    private final Thread receiver;
    private volatile boolean closed;

    NotifySocket(Path path) throws SyscallException {
      this.path = path.toString();
      this.fd = sys.bindDatagram(this.path);
      this.receiver = Thread.ofPlatform().name("notify-receiver").start(this::receive);
    }

    private void receive() {
      byte[] buffer = new byte[4096];
      try {
        while (!closed) {
          if (Spawn.pollReadable(new int[] {fd}, 100)[0]) {
            int n = sys.read(fd, buffer);
            messages.add(new String(buffer, 0, n, StandardCharsets.UTF_8));
          }
        }
      } catch (SyscallException e) {
        messages.add("receive failed: " + e.getMessage());
      }
    }

    String path() {
      return path;
    }

    int count() {
      return messages.size();
    }

    /** The first message from index {@code from} on that matches, waiting for it. */
    String awaitMessage(int from, Predicate<String> matches) {
      return await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).alias("a notify message after #" + from
          + " matching; got " + messages)
          .until(() -> messages.subList(Math.min(from, messages.size()), messages.size()).stream()
              .filter(matches).findFirst(), found -> found.isPresent()).orElseThrow();
    }

    @Override
    public void close() throws InterruptedException {
      closed = true;
      receiver.join();
      sys.close(fd);
    }
  }

  @Test
  void tellsTheServiceManagerItsStateAndReloadsOnSighup() throws Exception {
    Path cniDir = Files.createDirectories(work.resolve("net.d"));
    String network = "[network]\ncni_conf_dir = \"" + cniDir + "\"\n";
    Path home = work.resolve("berthd");
    Path config = home.resolve("config.toml");
    try (NotifySocket notify = new NotifySocket(work.resolve("notify.sock"));
        BerthdProcess berthd = BerthdProcess.startWithEnv(home, "log_level = \"info\"\n" + network,
            Map.of("NOTIFY_SOCKET", notify.path()))) {
      var client = berthd.client();
      assertThat(notify.awaitMessage(0, m -> m.startsWith("READY=1")))
          .isEqualTo("READY=1\nSTATUS=serving, 0 pods, 0 containers\nMAINPID=" + berthd.pid());

      // STATUS follows the counts.
      Path logs = Files.createDirectories(work.resolve("logs"));
      Pods.runPod(client, Pods.perContainerPid(Pods.podConfig("notified", logs)).build());
      notify.awaitMessage(0, m -> m.equals("STATUS=serving, 1 pod, 0 containers"));
      Pods.removeAll(client);
      // READY carried the first "0 pods": a STATUS saying so again comes only after the removal.
      notify.awaitMessage(0, m -> m.equals("STATUS=serving, 0 pods, 0 containers"));

      // A live key and a key that needs a restart.
      assertThat(berthd.logText()).doesNotContain(" DEBUG ");
      Files.writeString(config, "log_level = \"debug\"\n" + network + "[streaming]\nidle_timeout_seconds = 60\n");
      int before = notify.count();
      hangUp(berthd);
      String reloading = notify.awaitMessage(before, m -> m.startsWith("RELOADING=1"));
      assertThat(reloading).contains("STATUS=reloading the configuration");
      Matcher stamp = MONOTONIC.matcher(reloading);
      assertThat(stamp.find()).as("MONOTONIC_USEC in %s", reloading).isTrue();
      // CLOCK_MONOTONIC, which this JVM's nanoTime reads too: sent within the last half minute.
      long ageMicros = System.nanoTime() / 1000 - Long.parseLong(stamp.group(1));
      assertThat(ageMicros).isBetween(0L, WAIT.toNanos() / 1000);
      assertThat(notify.awaitMessage(before, m -> m.startsWith("READY=1")))
          .isEqualTo("READY=1\nSTATUS=serving, 0 pods, 0 containers\nMAINPID=" + berthd.pid());
      awaitLog(berthd, "configuration reloaded from " + config + " applied=[log_level]");
      awaitLog(berthd, "need a restart of berthd to take effect: streaming.idle_timeout_seconds");
      client.runtime(5000).version(VersionRequest.getDefaultInstance());
      awaitLog(berthd, "DEBUG rpc - rpc method=Version code=OK");

      // A broken file: refused with the start-up message, berthd serves on with what it had.
      Files.writeString(config, "log_level = \"info\"\n" + network + "[runtime]\nbogus_key = 1\n");
      before = notify.count();
      hangUp(berthd);
      String refused = notify.awaitMessage(before, m -> m.startsWith("READY=1"));
      assertThat(refused).contains("last reload refused: config " + config);
      assertThat(refused).contains("unknown key 'runtime.bogus_key'");
      awaitLog(berthd, "ERROR Berthd - configuration reload refused, berthd keeps the configuration it runs: config "
          + config + ": unknown key 'runtime.bogus_key'");
      String statusJson = client.runtime(5000).status(StatusRequest.newBuilder().setVerbose(true).build())
          .getInfoMap().get("config");
      assertThat(statusJson).contains("\"log_level\":\"debug\"").contains("\"idle_timeout_seconds\":14400");
      long debugLines = berthd.logText().lines().filter(l -> l.contains(" DEBUG ")).count();
      client.runtime(5000).version(VersionRequest.getDefaultInstance());
      await().atMost(WAIT).until(() -> berthd.logText().lines().filter(l -> l.contains(" DEBUG ")).count()
          > debugLines);

      before = notify.count();
      assertThat(berthd.terminate(WAIT)).isZero();
      assertThat(notify.awaitMessage(before, m -> m.startsWith("STOPPING=1")))
          .isEqualTo("STOPPING=1\nSTATUS=stopping");
    }
  }

  private static void hangUp(BerthdProcess berthd) throws SyscallException {
    Spawn.kill((int) berthd.pid(), SIGHUP);
  }

  private static void awaitLog(BerthdProcess berthd, String text) {
    await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).alias("berthd's log to contain: " + text)
        .until(() -> berthd.logText().contains(text));
  }
}
