package io.berth.cri.doctor;

import io.berth.cri.config.BerthConfig;
import io.berth.cri.config.ConfigException;
import io.berth.cri.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * berthd's configuration file, read by berthd's own {@link ConfigLoader}: a file berthd would
 * refuse (exit 78) fails with berthd's message, and the other checks then run on the built-in
 * defaults. The default location may be absent (berthd then runs on the defaults); a file named
 * with -c must exist.
 */
public final class ConfigCheck {
  /** The configuration the other checks use, and what loading it found. */
  public record Loaded(BerthConfig config, Result result) {}

  private ConfigCheck() {}

  public static Loaded load(ConfigLoader loader, Path file, boolean explicitlyNamed) {
    String name = "config";
    try {
      BerthConfig config = loader.load(file, explicitlyNamed);
      String detail = Files.exists(file) ? file + " (root " + config.root() + ", state " + config.state() + ")"
          : "no " + file + ": berthd runs on its built-in defaults";
      return new Loaded(config, Result.pass(name, detail));
    } catch (ConfigException e) {
      return new Loaded(BerthConfig.defaults(), Result.fail(name, e.getMessage()
          + "; berthd refuses to start (the checks below use the defaults)",
          "fix the key named (berthd config default prints every key with its default)"));
    }
  }
}
