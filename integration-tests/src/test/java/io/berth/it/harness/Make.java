package io.berth.it.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a target of the checkout's Makefile ({@code make install}, {@code make deb}) to completion.
 * The environment of an enclosing {@code make test} (MAKEFLAGS with its jobserver, MAKELEVEL) is
 * left out, so the target runs as from a shell.
 */
public final class Make {
  private Make() {}

  /** {@code make -s -C <home> ARGS...}; fails with the output when make fails. */
  public static Commands.Result run(long timeoutSeconds, String... args) {
    return run(Map.of(), timeoutSeconds, args);
  }

  /** As {@link #run(long, String...)} with extra environment variables. */
  public static Commands.Result run(Map<String, String> env, long timeoutSeconds, String... args) {
    List<String> command = new ArrayList<>(List.of("make", "-s", "-C", BerthHome.path().toString()));
    command.addAll(List.of(args));
    try {
      Path out = Files.createTempFile("berth-make", ".out");
      try {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        for (String inherited : List.of("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")) {
          builder.environment().remove(inherited);
        }
        builder.environment().putAll(env);
        Process process = builder.start();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor();
          throw new IllegalStateException(command + " timed out after " + timeoutSeconds + " s:\n"
              + Files.readString(out, StandardCharsets.UTF_8));
        }
        Commands.Result result = new Commands.Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
            "");
        if (result.exitCode() != 0) {
          throw new IllegalStateException(command + " exited " + result.exitCode() + ":\n" + result.stdout());
        }
        return result;
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + command, e);
    }
  }
}
