package io.berth.cri.network.cni;

import io.berth.oci.runtime.SpawnedProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs CNI plugins as child processes of berthd, their config written to stdin, their output collected. */
public final class ProcessPluginExecutor implements PluginExecutor {
  @Override
  public Optional<Path> find(String type, List<Path> dirs) {
    return dirs.stream().map(d -> d.resolve(type)).filter(Files::isExecutable).findFirst();
  }

  @Override
  public Output run(Path binary, Map<String, String> env, byte[] stdin, Duration timeout)
      throws IOException, InterruptedException, TimeoutException {
    SpawnedProcess process = SpawnedProcess.start(List.of(binary.toString()), env, SpawnedProcess.PIPE,
        SpawnedProcess.COLLECT, SpawnedProcess.COLLECT, null);
    try (OutputStream in = process.getOutputStream()) {
      in.write(stdin); // a plugin reads all of it first
    }
    SpawnedProcess.Output output;
    try {
      output = process.output().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      process.destroyForcibly();
      throw e;
    } catch (ExecutionException e) {
      throw new IOException(e.getCause().getMessage(), e.getCause());
    }
    return new Output(output.exitCode(), new String(output.stdout(), StandardCharsets.UTF_8),
        new String(output.stderr(), StandardCharsets.UTF_8));
  }
}
