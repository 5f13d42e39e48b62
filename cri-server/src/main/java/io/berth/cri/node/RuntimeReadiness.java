package io.berth.cri.node;

import io.berth.cri.config.BerthConfig;
import io.berth.cri.network.Condition;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Decides RuntimeReady: the default OCI runtime handler's binary must be present and
 * executable. One stat of a local file, cheap enough for Status to run inline.
 */
public final class RuntimeReadiness {
  private final String handler;
  private final Path binary;

  public RuntimeReadiness(BerthConfig.Runtime runtime) {
    this.handler = runtime.defaultHandler();
    this.binary = Path.of(runtime.handlers().get(handler));
  }

  public Condition check() {
    if (!Files.isExecutable(binary)) {
      return Condition.unmet(
          Condition.RUNTIME_READY,
          "RuntimeBinaryMissing",
          "binary " + binary + " of the default runtime handler '" + handler + "' is missing or not executable");
    }
    return Condition.met(Condition.RUNTIME_READY);
  }
}
