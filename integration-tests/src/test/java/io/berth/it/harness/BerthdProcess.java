package io.berth.it.harness;

import static org.awaitility.Awaitility.await;

import io.berth.cri.client.CriClient;
import io.berth.proto.runtime.v1.VersionRequest;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real {@code bin/berthd} process on a private root, state directory and socket, with an
 * explicit (possibly empty) config file so the host's /etc/berth never leaks in. Stopped with
 * SIGTERM, by PID, and never left running.
 */
public final class BerthdProcess implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

  private final Process process;
  private final Path workDir;
  private final Path stateDir;
  private final Path socket;
  private final Path log;
  private CriClient client;

  private BerthdProcess(Process process, Path workDir, Path stateDir, Path socket, Path log) {
    this.process = process;
    this.workDir = workDir;
    this.stateDir = stateDir;
    this.socket = socket;
    this.log = log;
  }

  /** Starts berthd under {@code workDir} with {@code configToml} and waits until it serves. */
  public static BerthdProcess start(Path workDir, String configToml, String... extraArgs) {
    BerthdProcess berthd = launch(workDir, configToml, extraArgs);
    berthd.awaitServing();
    return berthd;
  }

  /** Starts berthd without waiting; for tests of start-up failures. */
  public static BerthdProcess launch(Path workDir, String configToml, String... extraArgs) {
    return launch(workDir, configToml, workDir.resolve("state"), extraArgs);
  }

  /** Starts berthd on a given state directory (socket inside it) without waiting. */
  public static BerthdProcess launch(Path workDir, String configToml, Path stateDir, String... extraArgs) {
    return launch(workDir, configToml, stateDir, Map.of(), extraArgs);
  }

  /** Starts berthd with extra environment variables and waits until it serves. */
  public static BerthdProcess startWithEnv(Path workDir, String configToml, Map<String, String> env) {
    BerthdProcess berthd = launch(workDir, configToml, workDir.resolve("state"), env);
    berthd.awaitServing();
    return berthd;
  }

  /**
   * Starts the berthd of another tree (an installed or packaged launcher) with extra environment
   * variables and waits until it serves.
   */
  public static BerthdProcess startLauncher(Path launcher, Path workDir, String configToml, Map<String, String> env,
      String... extraArgs) {
    BerthdProcess berthd = launch(launcher, workDir, configToml, workDir.resolve("state"), env, extraArgs);
    berthd.awaitServing();
    return berthd;
  }

  private static BerthdProcess launch(Path workDir, String configToml, Path stateDir, Map<String, String> env,
      String... extraArgs) {
    return launch(BerthHome.berthd(), workDir, configToml, stateDir, env, extraArgs);
  }

  private static BerthdProcess launch(Path launcher, Path workDir, String configToml, Path stateDir,
      Map<String, String> env, String... extraArgs) {
    try {
      Files.createDirectories(workDir);
      Path config = workDir.resolve("config.toml");
      Files.writeString(config, configToml);
      Path socket = stateDir.resolve("berth.sock");
      Path log = workDir.resolve("berthd.log");
      List<String> command = new ArrayList<>(List.of(
          launcher.toString(),
          "--config", config.toString(),
          "--root", workDir.resolve("root").toString(),
          "--state", stateDir.toString(),
          "--socket", socket.toString()));
      command.addAll(List.of(extraArgs));
      // Its own working directory: anything a child of berthd drops in its working directory
      // (conmon once wrote "oom" there) shows up in HostTraces instead of in the build tree.
      ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
      builder.environment().putAll(env);
      Process process = builder
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
          .start();
      return new BerthdProcess(process, workDir, stateDir, socket, log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitServing() {
    try {
      await().atMost(READY_TIMEOUT).pollInterval(Duration.ofMillis(20)).pollInSameThread().until(this::serving);
    } catch (ConditionTimeoutException e) {
      close();
      throw new IllegalStateException("berthd did not serve within " + READY_TIMEOUT + ":\n" + logText());
    }
  }

  /** Whether berthd answers CRI calls yet; throws at once if it exited. */
  private boolean serving() {
    if (!process.isAlive()) {
      throw new IllegalStateException("berthd exited " + process.exitValue() + " before serving:\n" + logText());
    }
    if (!Files.exists(socket)) {
      return false;
    }
    try {
      client().runtime(2000).version(VersionRequest.getDefaultInstance());
      return true;
    } catch (StatusRuntimeException notYet) {
      return false; // the socket file appears just before the server accepts
    }
  }

  public synchronized CriClient client() {
    if (client == null) {
      client = CriClient.connect("unix://" + socket);
    }
    return client;
  }

  public Path socket() {
    return socket;
  }

  public Path stateDir() {
    return stateDir;
  }

  public Path rootDir() {
    return workDir.resolve("root");
  }

  public long pid() {
    return process.pid();
  }

  public Process process() {
    return process;
  }

  public String logText() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  /** Waits for a process that is expected to exit by itself; returns its exit code. */
  public int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("berthd still running after " + timeout);
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** SIGKILL, as a crash or the OOM killer would end berthd; waits until it is gone. */
  public void kill() {
    closeClient();
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(10));
  }

  /** Sends SIGTERM and waits for the exit code. */
  public int terminate(Duration timeout) {
    closeClient();
    process.destroy(); // SIGTERM to this PID only
    return awaitExit(timeout);
  }

  private synchronized void closeClient() {
    if (client != null) {
      client.close();
      client = null;
    }
  }

  @Override
  public void close() {
    closeClient();
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
