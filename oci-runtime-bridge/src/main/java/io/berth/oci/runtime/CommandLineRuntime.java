package io.berth.oci.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * runc and crun share their command line: {@code <binary> --root R --log F --log-format json CMD}.
 * Errors come back from the runtime's JSON log and are reported verbatim.
 */
public final class CommandLineRuntime implements OciRuntime {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long TIMEOUT_SECONDS = 60;

  private final String name;
  private final Path binary;
  private final Path root;

  public CommandLineRuntime(String name, Path binary, Path root) {
    this.name = name;
    this.binary = binary;
    this.root = root;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Path binary() {
    return binary;
  }

  @Override
  public Path root() {
    return root;
  }

  @Override
  public void start(String id) {
    run("start", id);
  }

  @Override
  public Optional<ContainerState> state(String id) {
    Result result = exec(List.of("state", id));
    if (result.exitCode() != 0) {
      if (result.error().contains("does not exist")) {
        return Optional.empty();
      }
      throw new OciRuntimeException(name + " state " + id + ": " + result.error());
    }
    JsonNode state = JSON.readTree(result.stdout());
    return Optional.of(new ContainerState(state.path("id").asString(id), state.path("status").asString(""),
        state.path("pid").asLong(0)));
  }

  @Override
  public void kill(String id, String signal) {
    Result result = exec(List.of("kill", id, signal));
    if (result.exitCode() != 0 && !result.error().contains("not running") && !result.error().contains("does not exist")
        && !result.error().contains("process already finished")) {
      throw new OciRuntimeException(name + " kill " + id + " " + signal + ": " + result.error());
    }
  }

  @Override
  public void delete(String id, boolean force) {
    Result result = exec(force ? List.of("delete", "--force", id) : List.of("delete", id));
    if (result.exitCode() != 0 && !result.error().contains("does not exist")) {
      throw new OciRuntimeException(name + " delete " + id + ": " + result.error());
    }
  }

  /**
   * Changes a running container's cgroup limits ({@code runc update --resources}); {@code
   * resources} is the spec's {@code linux.resources} object.
   */
  public void update(String id, io.berth.oci.spec.RuntimeSpec.Resources resources) {
    Path file = null;
    try {
      Files.createDirectories(root);
      file = Files.createTempFile(root, ".resources-", ".json");
      Files.writeString(file, io.berth.oci.spec.SpecJson.write(resources));
      Result result = exec(List.of("update", "--resources", file.toString(), id));
      if (result.exitCode() != 0) {
        throw new OciRuntimeException(name + " update " + id + ": " + result.error());
      }
    } catch (IOException e) {
      throw new OciRuntimeException("cannot update " + id + ": " + e.getMessage(), e);
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException ignored) {
          // a leftover in the runtime root is harmless
        }
      }
    }
  }

  /** What a synchronous exec produced. {@code timedOut}: the process was killed at the deadline. */
  public record ExecResult(int exitCode, byte[] stdout, byte[] stderr, boolean timedOut) {}

  /**
   * Runs {@code command} in the running container {@code id} as its own process spec says (user,
   * environment, capabilities, cwd), waits up to {@code timeout} and returns its output; at the
   * deadline the exec'd process is killed, as an exec probe requires.
   */
  public ExecResult execSync(String id, Path bundle, List<String> command, java.time.Duration timeout) {
    try (RunningExec exec = startExec(id, bundle, command, ExecStdio.PIPES_NO_STDIN)) {
      Process runtimeProcess = exec.process();
      var stdout = java.util.concurrent.CompletableFuture.supplyAsync(() -> readAll(runtimeProcess.getInputStream()),
          Thread::startVirtualThread);
      var stderr = java.util.concurrent.CompletableFuture.supplyAsync(() -> readAll(runtimeProcess.getErrorStream()),
          Thread::startVirtualThread);
      boolean finished = exec.waitFor(Math.max(1, timeout.toMillis()));
      if (!finished) {
        exec.kill();
        runtimeProcess.waitFor(10, TimeUnit.SECONDS);
        return new ExecResult(-1, stdout.join(), stderr.join(), true);
      }
      int code = exec.exitCode(stderr.join());
      return new ExecResult(code, stdout.join(), stderr.join(), false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OciRuntimeException("interrupted exec in " + id, e);
    }
  }

  /**
   * How an exec'd command's stdio are connected: pipes (stdin one only if {@code stdin}), or the
   * terminal whose slave is at {@code terminal}.
   */
  public record ExecStdio(boolean stdin, String terminal) {
    public static final ExecStdio PIPES_NO_STDIN = new ExecStdio(false, null);
  }

  /**
   * Starts {@code command} in the running container {@code id} and returns at once. With a
   * terminal, the runtime runs with {@code -t} in a new session whose controlling terminal is the
   * given slave, so that resizing its master (SIGWINCH) reaches the runtime, which resizes the
   * container's own terminal.
   */
  public RunningExec startExec(String id, Path bundle, List<String> command, ExecStdio stdio) {
    if (command.isEmpty()) {
      throw new OciRuntimeException("exec in " + id + ": no command");
    }
    List<Path> files = new ArrayList<>();
    try {
      JsonNode process = JSON.readTree(Files.readString(bundle.resolve("config.json"))).get("process");
      var spec = (tools.jackson.databind.node.ObjectNode) process.deepCopy();
      spec.put("terminal", stdio.terminal() != null);
      var args = spec.putArray("args");
      command.forEach(args::add);
      Path processFile = Files.createTempFile(bundle, ".exec-", ".json");
      files.add(processFile);
      Files.writeString(processFile, JSON.writeValueAsString(spec));
      Path pidFile = bundle.resolve(processFile.getFileName() + ".pid");
      files.add(pidFile);
      Path log = Files.createTempFile(root, ".log-", ".json");
      files.add(log);
      List<String> argv = new ArrayList<>();
      argv.add(binary.toString());
      argv.addAll(globalArgs(log));
      argv.addAll(List.of("exec", "--process", processFile.toString(), "--pid-file", pidFile.toString(), id));
      ProcessBuilder builder;
      if (stdio.terminal() != null) {
        List<String> wrapped = new ArrayList<>(List.of("setsid", "-w", "/bin/sh", "-c",
            // a session leader opening a terminal makes it its controlling one
            "exec \"$@\" <\"$BERTH_TTY\" >\"$BERTH_TTY\" 2>&1", "sh"));
        wrapped.addAll(argv);
        builder = new ProcessBuilder(wrapped).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().put("BERTH_TTY", stdio.terminal());
      } else {
        builder = new ProcessBuilder(argv);
        if (!stdio.stdin()) {
          builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        }
      }
      return new RunningExec(name + " exec in " + id, builder.start(), pidFile, log, files);
    } catch (IOException e) {
      for (Path p : files) {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort
        }
      }
      throw new OciRuntimeException("cannot exec in " + id + ": " + e.getMessage(), e);
    }
  }

  private static byte[] readAll(java.io.InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      return new byte[0];
    }
  }

  private void run(String command, String id) {
    Result result = exec(List.of(command, id));
    if (result.exitCode() != 0) {
      throw new OciRuntimeException(name + " " + command + " " + id + ": " + result.error());
    }
  }

  /** Global flags every invocation gets, also handed to conmon as runtime arguments. */
  List<String> globalArgs(Path log) {
    return List.of("--root=" + root, "--log=" + log, "--log-format=json");
  }

  private record Result(int exitCode, String stdout, String error) {}

  private Result exec(List<String> args) {
    Path log = null;
    try {
      Files.createDirectories(root);
      log = Files.createTempFile(root, ".log-", ".json");
      List<String> command = new ArrayList<>();
      command.add(binary.toString());
      command.addAll(globalArgs(log));
      command.addAll(args);
      Process process = new ProcessBuilder(command)
          .redirectErrorStream(false)
          .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
          .start();
      byte[] stdout = process.getInputStream().readAllBytes();
      byte[] stderr = process.getErrorStream().readAllBytes();
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new OciRuntimeException(name + " " + String.join(" ", args) + ": no answer after " + TIMEOUT_SECONDS + " s");
      }
      String error = RuntimeLog.lastError(log).orElse(new String(stderr, StandardCharsets.UTF_8).strip());
      return new Result(process.exitValue(), new String(stdout, StandardCharsets.UTF_8), error);
    } catch (IOException e) {
      throw new OciRuntimeException("cannot run " + binary + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OciRuntimeException("interrupted running " + binary, e);
    } finally {
      if (log != null) {
        try {
          Files.deleteIfExists(log);
        } catch (IOException ignored) {
          // a leftover log file in the runtime root is harmless
        }
      }
    }
  }
}
