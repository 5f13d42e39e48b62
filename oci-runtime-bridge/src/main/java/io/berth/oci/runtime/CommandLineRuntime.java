package io.berth.oci.runtime;

import io.berth.oci.spec.RuntimeSpec;
import io.berth.oci.spec.SpecJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * runc and crun share their command line: {@code <binary> --root R --log F --log-format json CMD}.
 * Errors come back from the runtime's JSON log and are reported verbatim, typed where the words
 * say the container is unknown or not running. Used only by {@link ConmonRuntime}.
 */
final class CommandLineRuntime {
  private static final Logger log = LoggerFactory.getLogger(CommandLineRuntime.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long TIMEOUT_SECONDS = 60;

  private final String name;
  private final Path binary;
  private final SealedBinary launcher;
  private final Path root;
  private final boolean systemdCgroup;

  CommandLineRuntime(String name, Path binary, Path root) {
    this(name, binary, root, false);
  }

  /** {@code systemdCgroup}: cgroups through systemd (runc --systemd-cgroup; cgroupsPath "slice:prefix:name"). */
  CommandLineRuntime(String name, Path binary, Path root, boolean systemdCgroup) {
    this.name = name;
    this.binary = binary;
    this.launcher = new SealedBinary(binary);
    this.root = root;
    this.systemdCgroup = systemdCgroup;
  }

  String name() {
    return name;
  }

  /**
   * Deletes the temporary files a call makes in the root ({@code .log-*.json}, {@code
   * .resources-*.json}): a berthd killed during the call never reached the {@code finally} that
   * removes them (a SIGKILL while a pod's infra container started left one). Container state
   * directories are the runtime's and stay.
   */
  void removeTemporaryFiles() {
    if (!Files.isDirectory(root)) {
      return;
    }
    try (var entries = Files.newDirectoryStream(root, entry -> isTemporaryFile(entry.getFileName().toString()))) {
      for (Path entry : entries) {
        Files.deleteIfExists(entry);
      }
    } catch (IOException e) {
      // Best effort: a leftover is a few bytes on tmpfs, not a reason to refuse to start.
      log.warn("cannot remove temporary files in dir={} error={}", root, e.getMessage());
    }
  }

  private static boolean isTemporaryFile(String fileName) {
    return (fileName.startsWith(".log-") || fileName.startsWith(".resources-")) && fileName.endsWith(".json");
  }

  Path binary() {
    return binary;
  }

  /**
   * Whether the runtime may know container {@code id}: runc and crun keep each container's state
   * in {@code <root>/<id>/} from the start of create to the end of delete. Saves a process for
   * containers that were never created (a pod without an infra container, a failed create).
   */
  private boolean known(String id) {
    return Files.isDirectory(root.resolve(id));
  }

  Path root() {
    return root;
  }

  void start(String id) {
    run("start", id);
  }

  Optional<ContainerState> state(String id) {
    if (!known(id)) {
      return Optional.empty();
    }
    Result result = exec(List.of("state", id));
    if (result.exitCode() != 0) {
      if (result.error().contains("does not exist")) {
        return Optional.empty();
      }
      throw failure("state " + id, result.error());
    }
    JsonNode state = JSON.readTree(result.stdout());
    return Optional.of(new ContainerState(state.path("id").asString(id), state.path("status").asString(""),
        state.path("pid").asLong(0)));
  }

  void kill(String id, String signal) {
    Result result = exec(List.of("kill", id, signal));
    if (result.exitCode() != 0 && !result.error().contains("not running") && !result.error().contains("does not exist")
        && !result.error().contains("process already finished")) {
      throw failure("kill " + id + " " + signal, result.error());
    }
  }

  void delete(String id, boolean force) {
    if (!known(id)) {
      return;
    }
    Result result = exec(force ? List.of("delete", "--force", id) : List.of("delete", id));
    if (result.exitCode() != 0 && !result.error().contains("does not exist")) {
      throw failure("delete " + id, result.error());
    }
  }

  /**
   * Changes a running container's cgroup limits ({@code runc update --resources}); {@code
   * resources} is the spec's {@code linux.resources} object.
   */
  void update(String id, RuntimeSpec.Resources resources) {
    Path file = null;
    try {
      Files.createDirectories(root);
      file = Files.createTempFile(root, ".resources-", ".json");
      Files.writeString(file, SpecJson.write(resources));
      Result result = exec(List.of("update", "--resources", file.toString(), id));
      if (result.exitCode() != 0) {
        throw failure("update " + id, result.error());
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

  /**
   * Runs {@code command} in the running container {@code id} as its own process spec says (user,
   * environment, capabilities, cwd), waits up to {@code timeout} and returns its output, at most
   * {@code maxOutput} bytes of both streams together (the rest is drained and dropped while it is
   * read, so a chatty command costs no memory); at the deadline, or when the calling thread is
   * interrupted (its caller gave up), the exec'd process is killed, and the runtime's process is
   * always reaped.
   */
  ExecResult execSync(String id, Path bundle, List<String> command, Duration timeout, int maxOutput) {
    try (RunningExec exec = startExec(id, bundle, command, new ExecStdio(false, null), maxOutput)) {
      var output = ((SpawnedProcess) exec.process()).output();
      try {
        var done = output.get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        return new ExecResult(exec.exitCode(done.stderr()), done.stdout(), done.stderr(), false, done.truncated());
      } catch (TimeoutException deadline) {
        exec.kill();
        try {
          var killed = output.get(10, TimeUnit.SECONDS);
          return new ExecResult(-1, killed.stdout(), killed.stderr(), true, killed.truncated());
        } catch (TimeoutException stillOpen) {
          // the runtime did not exit even when killed
          return new ExecResult(-1, new byte[0], new byte[0], true, false);
        }
      } catch (InterruptedException e) {
        exec.kill(); // nobody waits for the answer: the command must not run on unseen
        Thread.currentThread().interrupt();
        throw new OciRuntimeException("interrupted exec in " + id, e);
      }
    } catch (ExecutionException e) {
      throw new OciRuntimeException("exec in " + id + ": " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OciRuntimeException("interrupted exec in " + id, e);
    }
  }

  /**
   * Starts {@code command} in the running container {@code id} and returns at once. With a
   * terminal, the runtime runs with {@code -t} in a new session whose controlling terminal is the
   * given slave, so that resizing its master (SIGWINCH) reaches the runtime, which resizes the
   * container's own terminal.
   */
  RunningExec startExec(String id, Path bundle, List<String> command, ExecStdio stdio) {
    return startExec(id, bundle, command, stdio, -1);
  }

  /** {@code collectLimit} >= 0: stdout and stderr are collected, each up to that many bytes. */
  private RunningExec startExec(String id, Path bundle, List<String> command, ExecStdio stdio, int collectLimit) {
    if (command.isEmpty()) {
      throw new OciRuntimeException("exec in " + id + ": no command");
    }
    List<Path> files = new ArrayList<>();
    try {
      JsonNode process = JSON.readTree(Files.readString(bundle.resolve("config.json"))).get("process");
      var spec = (ObjectNode) process.deepCopy();
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
      Process runtimeProcess;
      String program = launcher.launchPath();
      if (stdio.terminal() != null) {
        List<String> wrapped = new ArrayList<>(List.of("setsid", "-w", "/bin/sh", "-c",
            // a session leader opening a terminal makes it its controlling one
            "exec \"$@\" <\"$BERTH_TTY\" >\"$BERTH_TTY\" 2>&1", "sh", program));
        wrapped.addAll(argv.subList(1, argv.size()));
        runtimeProcess = SpawnedProcess.start(wrapped, Map.of("BERTH_TTY", stdio.terminal()), SpawnedProcess.NULL,
            SpawnedProcess.PIPE, SpawnedProcess.PIPE, null, bundle);
      } else {
        SpawnedProcess.Fd out = collectLimit >= 0 ? SpawnedProcess.collectUpTo(collectLimit) : SpawnedProcess.PIPE;
        runtimeProcess = SpawnedProcess.start(program, argv, Map.of(),
            stdio.stdin() ? SpawnedProcess.PIPE : SpawnedProcess.NULL, out, out, null, bundle);
      }
      return new RunningExec(name + " exec in " + id, runtimeProcess, pidFile, log, files);
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

  private void run(String command, String id) {
    Result result = exec(List.of(command, id));
    if (result.exitCode() != 0) {
      throw failure(command + " " + id, result.error());
    }
  }

  /**
   * The runtime's refusal, typed by its words: runc says "does not exist" of an unknown
   * container and "stopped" or "not running" of one whose process is gone; crun says "does not
   * exist" too. Anything else is a runtime error, reported verbatim.
   */
  private OciRuntimeException failure(String what, String error) {
    String message = name + " " + what + ": " + error;
    if (error.contains("does not exist") || error.contains("container not found")) {
      return new ContainerNotFoundException(message);
    }
    if (error.contains("stopped") || error.contains("not running")) {
      return new ContainerNotRunningException(message);
    }
    return new OciRuntimeException(message);
  }

  /** Global flags every invocation gets, also handed to conmon as runtime arguments. */
  List<String> globalArgs(Path log) {
    List<String> args = new ArrayList<>(List.of("--root=" + root, "--log=" + log, "--log-format=json"));
    if (systemdCgroup) {
      // Every call, not only create: update, delete and state must find the cgroup where systemd put it.
      args.add("--systemd-cgroup");
    }
    return args;
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
      // In its own root: nothing the runtime might drop in its working directory lands elsewhere.
      SpawnedProcess process = SpawnedProcess.collect(launcher.launchPath(), command, Map.of(), root);
      SpawnedProcess.Output output;
      try {
        output = process.output().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        process.destroyForcibly();
        throw new OciRuntimeException(name + " " + String.join(" ", args) + ": no answer after "
            + TIMEOUT_SECONDS + " s");
      } catch (ExecutionException e) {
        throw new OciRuntimeException("cannot run " + binary + ": " + e.getCause().getMessage(), e.getCause());
      }
      String error = RuntimeLog.lastError(log).orElse(new String(output.stderr(), StandardCharsets.UTF_8).strip());
      return new Result(output.exitCode(), new String(output.stdout(), StandardCharsets.UTF_8), error);
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
