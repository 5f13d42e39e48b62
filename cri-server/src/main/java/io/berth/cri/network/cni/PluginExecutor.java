package io.berth.cri.network.cni;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * Finds and runs CNI plugin binaries (libcni's {@code Exec}): the seam between the chaining
 * {@link CniNetwork} does and the processes it starts, so chaining is unit-testable without root
 * or real plugins. {@link ProcessPluginExecutor} is the real one.
 */
public interface PluginExecutor {
  /** The executable named {@code type} in the first of {@code dirs} that has one; empty when none does. */
  Optional<Path> find(String type, List<Path> dirs);

  /**
   * Runs {@code binary} with {@code env} added to the daemon's environment and {@code stdin} as
   * its standard input, and waits for it to exit.
   *
   * @throws TimeoutException when it ran longer than {@code timeout} (it has been killed)
   * @throws IOException when it could not be started or fed its input
   */
  Output run(Path binary, Map<String, String> env, byte[] stdin, Duration timeout)
      throws IOException, InterruptedException, TimeoutException;

  /** A finished plugin's exit status and what it printed, as UTF-8 text. */
  record Output(int exitCode, String stdout, String stderr) {}
}
