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
