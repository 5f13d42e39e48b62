package io.berth.oci.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime's global flags: its own root, a JSON log, and --systemd-cgroup with the systemd driver. */
class CommandLineRuntimeTest {
  @TempDir Path dir;

  @Test
  void theSystemdDriverAddsSystemdCgroupToEveryCall() {
    var systemd = new CommandLineRuntime("runc", Path.of("/usr/sbin/runc"), dir.resolve("root"), true);
    assertThat(systemd.globalArgs(dir.resolve("log.json")))
        .containsExactly("--root=" + dir.resolve("root"), "--log=" + dir.resolve("log.json"), "--log-format=json",
            "--systemd-cgroup");
  }

  @Test
  void cgroupfsIsTheDefault() {
    var cgroupfs = new CommandLineRuntime("runc", Path.of("/usr/sbin/runc"), dir.resolve("root"));
    assertThat(cgroupfs.globalArgs(dir.resolve("log.json"))).doesNotContain("--systemd-cgroup");
  }
}
