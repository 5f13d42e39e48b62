package io.berth.it.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs helper programs (skopeo, htpasswd, zstd, berthctl) to completion and captures their output. */
public final class Commands {
  private Commands() {}

  /** Output of a finished command. */
  public record Result(int exitCode, String stdout, String stderr) {
    public Result requireSuccess(List<String> command) {
      if (exitCode != 0) {
        throw new IllegalStateException(
            "command " + command + " exited " + exitCode + ": " + stderr.strip() + " " + stdout.strip());
      }
      return this;
    }
  }

  public static Result run(List<String> command) {
    return run(command, null, 120);
  }

  public static Result run(List<String> command, byte[] stdin, long timeoutSeconds) {
    try {
      Path out = Files.createTempFile("berth-cmd", ".out");
      Path err = Files.createTempFile("berth-cmd", ".err");
      try {
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        if (stdin == null) {
          builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        }
        Process process = builder.start();
        if (stdin != null) {
          try (var in = process.getOutputStream()) {
            in.write(stdin);
          }
        }
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor();
          throw new IllegalStateException("command " + command + " timed out after " + timeoutSeconds + " s");
        }
        return new Result(
            process.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + command, e);
    }
  }

  public static Result runOrFail(String... command) {
    return run(List.of(command)).requireSuccess(List.of(command));
  }
}
