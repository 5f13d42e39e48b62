package io.berth.oci.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
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

  @Test
  void theTemporaryFilesOfACallThatNeverEndedAreRemovedAndContainerStateStays() throws Exception {
    Path root = Files.createDirectories(dir.resolve("root"));
    Files.writeString(root.resolve(".log-6997127349590405148.json"), "{}");
    Files.writeString(root.resolve(".resources-12.json"), "{}");
    Path containerState = Files.createDirectories(root.resolve("c1"));
    Files.writeString(containerState.resolve("state.json"), "{}");
    Files.writeString(root.resolve(".log-kept"), "not ours");

    new CommandLineRuntime("runc", Path.of("/usr/sbin/runc"), root).removeTemporaryFiles();

    try (var left = Files.list(root)) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("c1", ".log-kept");
    }
    assertThat(containerState.resolve("state.json")).exists();
    new CommandLineRuntime("runc", Path.of("/usr/sbin/runc"), dir.resolve("absent")).removeTemporaryFiles();
  }
}
