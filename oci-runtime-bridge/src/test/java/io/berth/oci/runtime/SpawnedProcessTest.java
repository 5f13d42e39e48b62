package io.berth.oci.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** posix_spawn'd children: their descriptors, environment, exit status and signals, with real programs. */
class SpawnedProcessTest {
  @TempDir Path dir;

  @Test
  void pipesCarryStdinStdoutAndStderrAndTheExitCodeComesBack() throws Exception {
    var process = SpawnedProcess.start(List.of("/bin/sh", "-c", "cat; echo oops >&2; exit 7"), Map.of(),
        SpawnedProcess.PIPE, SpawnedProcess.PIPE, SpawnedProcess.PIPE, null);
    process.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
    process.getOutputStream().close();
    assertThat(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello\n");
    assertThat(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("oops\n");
    assertThat(process.waitFor()).isEqualTo(7);
    assertThat(process.exitValue()).isEqualTo(7);
    assertThat(process.isAlive()).isFalse();
  }

  @Test
  void theChildGetsOnlyTheDescriptorsAskedForAndTheAddedEnvironment() throws Exception {
    Path log = dir.resolve("log");
    var sleeper = SpawnedProcess.start(List.of("sleep", "30"), Map.of(), SpawnedProcess.NULL, SpawnedProcess.NULL,
        new SpawnedProcess.Fd.Append(log.toString()), SpawnedProcess.PIPE);
    // sleep itself may hold a file open for a moment while it starts (its locale): a descriptor
    // inherited from this JVM would stay, so wait for the set to settle rather than race it.
    await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
        .untilAsserted(() -> assertThat(descriptors(sleeper.pid())).as("0-3, and nothing of the daemon's")
            .containsExactly("0", "1", "2", "3"));
    assertThat(Files.readSymbolicLink(Path.of("/proc/" + sleeper.pid() + "/fd/2"))).isEqualTo(log);
    sleeper.destroyForcibly();
    sleeper.waitFor();

    var printer = SpawnedProcess.start(List.of("sh", "-c", "echo $BERTH_X; echo to-log >&2"),
        Map.of("BERTH_X", "added"), SpawnedProcess.NULL, SpawnedProcess.PIPE,
        new SpawnedProcess.Fd.Append(log.toString()), null);
    assertThat(new String(printer.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("added\n");
    assertThat(printer.waitFor()).isZero();
    assertThat(Files.readString(log)).isEqualTo("to-log\n");
  }

  @Test
  void aChildStartedWithOnlyItsOwnEnvironmentSeesThatAndPathAlone() throws Exception {
    var process = SpawnedProcess.startWithOnly(List.of("/usr/bin/env"), Map.of("_OCI_SYNCPIPE", "3"),
        SpawnedProcess.NULL, SpawnedProcess.COLLECT, SpawnedProcess.COLLECT, null);
    var output = process.output().get(10, TimeUnit.SECONDS);
    assertThat(output.exitCode()).isZero();
    assertThat(new String(output.stdout(), StandardCharsets.UTF_8).lines().map(line -> line.split("=", 2)[0]))
        .containsExactlyInAnyOrder("PATH", "_OCI_SYNCPIPE");
  }

  @Test
  void aCollectedChildsOutputComesWithItsExitCode() throws Exception {
    var process = SpawnedProcess.collect(List.of("/bin/sh", "-c",
        "head -c 200000 /dev/zero; echo err >&2; head -c 100000 /dev/zero >&2; exit 4"), Map.of());
    var output = process.output().get(10, TimeUnit.SECONDS);
    assertThat(output.exitCode()).isEqualTo(4);
    assertThat(output.stdout()).as("more than a pipe holds").hasSize(200_000);
    assertThat(output.stderr()).hasSize(100_004);
  }

  @Test
  void aFloodOnBothStreamsIsReadToItsEndAndKeptWithinTheBudget() throws Exception {
    int limit = 1 << 20;
    var process = SpawnedProcess.start(List.of("/bin/sh", "-c",
        "head -c 40000000 /dev/zero; head -c 40000000 /dev/zero >&2; echo last >&2; exit 3"), Map.of(),
        SpawnedProcess.NULL, SpawnedProcess.collectUpTo(limit), SpawnedProcess.collectUpTo(limit), null);
    var output = process.output().get(30, TimeUnit.SECONDS);
    assertThat(output.exitCode()).as("the child was never blocked on a full pipe").isEqualTo(3);
    assertThat(output.truncated()).isTrue();
    assertThat(output.stdout().length + output.stderr().length).isLessThanOrEqualTo(limit);
    assertThat(output.stderr().length).as("stderr's reserve").isGreaterThanOrEqualTo(limit / 4);
    assertThat(Path.of("/proc/" + process.pid())).as("reaped").doesNotExist();
  }

  @Test
  void aChildIsReapedWhenItExitsEvenIfWhatItLeftBehindHoldsItsPipes() throws Exception {
    long started = System.nanoTime();
    var process = SpawnedProcess.collect(List.of("/bin/sh", "-c",
        "echo before; sleep 60 & echo $!; echo err >&2; exit 5"), Map.of());
    assertThat(process.onExit().get(10, TimeUnit.SECONDS).exitValue()).isEqualTo(5);
    var output = process.output().get(10, TimeUnit.SECONDS);
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    String[] lines = new String(output.stdout(), StandardCharsets.UTF_8).split("\n");
    ProcessHandle.of(Long.parseLong(lines[1])).ifPresent(ProcessHandle::destroyForcibly);
    assertThat(output.exitCode()).isEqualTo(5);
    assertThat(lines[0]).isEqualTo("before");
    assertThat(new String(output.stderr(), StandardCharsets.UTF_8)).isEqualTo("err\n");
    assertThat(tookMillis).as("the pipes are given up a grace after the exit, not after the sleep")
        .isLessThan(10_000);
    assertThat(Path.of("/proc/" + process.pid())).as("reaped").doesNotExist();
  }

  @Test
  void aChildRunsInTheWorkingDirectoryItIsGivenAndLeavesItsFilesThere() throws Exception {
    Path bundle = Files.createDirectory(dir.resolve("bundle"));
    var pwd = SpawnedProcess.collect(List.of("/bin/pwd"), Map.of(), bundle).output().get(10, TimeUnit.SECONDS);
    assertThat(pwd.exitCode()).isZero();
    assertThat(new String(pwd.stdout(), StandardCharsets.UTF_8)).isEqualTo(bundle.toRealPath() + "\n");

    // As conmon writes its oom file: relative to where it runs, so into the bundle, not the daemon's directory.
    String marker = dir.getFileName() + ".marker";
    var toucher = SpawnedProcess.startWithOnly(List.of("/bin/sh", "-c", "echo > " + marker), Map.of(),
        SpawnedProcess.NULL, SpawnedProcess.NULL, SpawnedProcess.NULL, null, bundle);
    assertThat(toucher.waitFor()).isZero();
    assertThat(bundle.resolve(marker)).exists();
    assertThat(Path.of(marker)).doesNotExist();

    var inherited = SpawnedProcess.start(List.of("/bin/pwd"), Map.of(), SpawnedProcess.NULL, SpawnedProcess.PIPE,
        SpawnedProcess.NULL, null, null);
    assertThat(new String(inherited.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip())
        .as("null: the daemon's").isEqualTo(Path.of("").toAbsolutePath().toRealPath().toString());
  }

  @Test
  void aMissingWorkingDirectoryIsAnIOExceptionNamingIt() {
    Path missing = dir.resolve("no-such-bundle");
    assertThatThrownBy(() -> SpawnedProcess.collect("/bin/pwd", List.of("pwd"), Map.of(), missing))
        .isInstanceOf(IOException.class).hasMessageContaining(missing.toString()).hasMessageContaining("ENOENT");
  }

  @Test
  void aKilledChildReportsTheSignalAsTheJdkDoes() throws Exception {
    var process = SpawnedProcess.start(List.of("sleep", "30"), Map.of(), SpawnedProcess.NULL, SpawnedProcess.NULL,
        SpawnedProcess.NULL, null);
    assertThat(process.waitFor(50, TimeUnit.MILLISECONDS)).isFalse();
    assertThatThrownBy(process::exitValue).isInstanceOf(IllegalThreadStateException.class);
    process.destroyForcibly();
    assertThat(process.waitFor()).isEqualTo(128 + 9);
    assertThat(process.onExit().get().exitValue()).isEqualTo(137);
  }

  @Test
  void aMissingProgramIsAnIOExceptionAndLeavesNoDescriptorOpen() throws Exception {
    long before = openDescriptors();
    for (int i = 0; i < 20; i++) {
      assertThatThrownBy(() -> SpawnedProcess.start(List.of("/nonexistent/program"), Map.of(), SpawnedProcess.PIPE,
          SpawnedProcess.PIPE, SpawnedProcess.PIPE, SpawnedProcess.PIPE))
          .isInstanceOf(IOException.class).hasMessageContaining("/nonexistent/program");
    }
    assertThat(openDescriptors()).isLessThanOrEqualTo(before);
  }

  private static List<String> descriptors(long pid) throws IOException {
    try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return fds.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static long openDescriptors() throws IOException {
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }
}
