package io.berth.cri.network.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.network.cni.PluginExecutor.Output;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real executor with shell scripts as plugins: no root needed. */
class ProcessPluginExecutorTest {
  @TempDir Path dir;
  private final ProcessPluginExecutor executor = new ProcessPluginExecutor();

  private Path script(Path where, String name, String body, String mode) throws Exception {
    Files.createDirectories(where);
    Path file = where.resolve(name);
    Files.writeString(file, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    return file;
  }

  @Test
  void findTakesTheFirstDirectoryWithAnExecutableOfThatName() throws Exception {
    Path first = dir.resolve("first");
    Path second = dir.resolve("second");
    script(first, "bridge", "", "rw-r--r--"); // not executable: skipped
    Path bridge = script(second, "bridge", "", "rwxr-xr-x");
    script(first, "loopback", "", "rwxr-xr-x");
    script(second, "loopback", "", "rwxr-xr-x");
    assertThat(executor.find("bridge", List.of(first, second))).contains(bridge);
    assertThat(executor.find("loopback", List.of(first, second))).contains(first.resolve("loopback"));
    assertThat(executor.find("portmap", List.of(first, second))).isEmpty();
  }

  @Test
  void runFeedsStdinAddsTheEnvironmentAndReturnsWhatThePluginPrinted() throws Exception {
    Path plugin = script(dir, "echo", "cat; echo \"$CNI_COMMAND\" >&2; exit 3\n", "rwxr-xr-x");
    Output output = executor.run(plugin, Map.of("CNI_COMMAND", "ADD"),
        "{\"name\":\"pods\"}".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10));
    assertThat(output).isEqualTo(new Output(3, "{\"name\":\"pods\"}", "ADD\n"));
  }

  @Test
  void aPluginThatRunsTooLongIsKilledAndReportedAsATimeout() throws Exception {
    Path plugin = script(dir, "slow", "exec sleep 30\n", "rwxr-xr-x");
    long start = System.nanoTime();
    assertThatThrownBy(() -> executor.run(plugin, Map.of(), new byte[0], Duration.ofMillis(200)))
        .isInstanceOf(TimeoutException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }
}
