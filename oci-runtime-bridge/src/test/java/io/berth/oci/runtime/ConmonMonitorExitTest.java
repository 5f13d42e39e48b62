package io.berth.oci.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.sys.LinuxSyscalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading conmon's exit files: the oom marker may come after the exit of a SIGKILLed container. */
class ConmonMonitorExitTest {
  @TempDir Path work;

  private ConmonMonitor monitor() {
    return new ConmonMonitor(Path.of("/usr/bin/conmon"), work.resolve("exits"), work.resolve("sockets"),
        MonitorScope.NONE,
        new KernelOomLog(LinuxSyscalls.INSTANCE, "/nonexistent/kmsg"));
  }

  private Path exit(String id, String code, Instant at) throws Exception {
    Path file = Files.createDirectories(work.resolve("exits")).resolve(id);
    Files.writeString(file, code);
    Files.setLastModifiedTime(file, FileTime.from(at));
    return Files.createDirectories(work.resolve("bundles").resolve(id));
  }

  @Test
  void aFreshSigkillExitWaitsForTheOomMarker() throws Exception {
    Path bundle = exit("c1", "137", Instant.now());
    assertThat(monitor().exit("c1", bundle)).as("not final yet").isEmpty();
    Files.writeString(bundle.resolve("oom"), "");
    assertThat(monitor().exit("c1", bundle)).hasValueSatisfying(e -> {
      assertThat(e.code()).isEqualTo(137);
      assertThat(e.oomKilled()).isTrue();
    });
  }

  @Test
  void aSigkillExitWithoutMarkerIsFinalAfterTheGrace() throws Exception {
    Path bundle = exit("c2", "137", Instant.now().minusSeconds(1));
    assertThat(monitor().exit("c2", bundle)).hasValueSatisfying(e -> assertThat(e.oomKilled()).isFalse());
  }

  @Test
  void otherExitsAreFinalAtOnce() throws Exception {
    Path bundle = exit("c3", "0", Instant.now());
    assertThat(monitor().exit("c3", bundle)).hasValueSatisfying(e -> assertThat(e.code()).isZero());
  }

  @Test
  void aSigkillBerthdSentItselfIsFinalAtOnce() throws Exception {
    ConmonMonitor monitor = monitor();
    monitor.killing("c4");
    Path bundle = exit("c4", "137", Instant.now());
    assertThat(monitor.exit("c4", bundle)).hasValueSatisfying(e -> assertThat(e.oomKilled()).isFalse());
  }
}
