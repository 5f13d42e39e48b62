package io.berth.cri.doctor;

import io.berth.cri.config.BerthConfig;
import io.berth.image.ImageException;
import io.berth.image.registry.Credentials;
import io.berth.image.registry.RegistryHosts;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The registry hosts files under registry.config_path ({@code <host>/hosts.toml}) and the
 * registry.auths credentials, read by the very parsers berthd uses ({@link RegistryHosts},
 * {@link Credentials}): a file that cannot be read or parsed makes berthd refuse to start, and a
 * reload keeps the old settings. Each file is read first on its own, so that an unreadable one
 * is named with the reason; a mirror's {@code ca} file that is missing only fails pulls through
 * that mirror.
 */
final class RegistryHostsCheck implements Check {
  private final Host host;
  private final BerthConfig.Registry registry;

  RegistryHostsCheck(Host host, BerthConfig.Registry registry) {
    this.host = host;
    this.registry = registry;
  }

  @Override
  public String name() {
    return "registry-hosts";
  }

  @Override
  public Result run() {
    for (var auth : registry.auths().entrySet()) {
      try {
        Credentials.of(auth.getValue().username(), auth.getValue().password(), auth.getValue().auth(), null, null);
      } catch (ImageException e) {
        return Result.fail(name(), "registry.auths." + auth.getKey() + ": " + e.getMessage()
            + ": berthd refuses to start", "fix registry.auths." + auth.getKey() + " in the configuration");
      }
    }
    String configPath = registry.configPath();
    Path dir = host.path(configPath);
    if (!Files.isDirectory(dir)) {
      return Result.pass(name(), "no hosts files (" + configPath + " does not exist): registries are reached at "
          + "https://<host>, loopback ones over http");
    }
    List<String> hosts = new ArrayList<>();
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path entry : entries.sorted().toList()) {
        Path file = entry.resolve("hosts.toml");
        String shown = configPath + "/" + entry.getFileName() + "/hosts.toml";
        if (!Files.exists(file)) {
          continue;
        }
        if (!Files.isRegularFile(file)) {
          return Result.warn(name(), shown + " is not a regular file: berthd ignores it",
              "replace it with a hosts.toml file or remove it");
        }
        try {
          Files.readString(file);
        } catch (IOException e) {
          return Result.fail(name(), "cannot read " + shown + ": " + reason(e) + "; berthd refuses to start with it",
              "fix or remove " + shown);
        }
        hosts.add(entry.getFileName().toString());
      }
    } catch (IOException e) {
      return Result.fail(name(), "cannot list " + configPath + ": " + reason(e), "make " + configPath
          + " a readable directory");
    }
    RegistryHosts parsed;
    try {
      parsed = RegistryHosts.load(dir, Map.of());
    } catch (ImageException | IllegalArgumentException e) {
      return Result.fail(name(), e.getMessage().replace(dir.toString(), configPath) + "; berthd refuses to start "
          + "with it", "fix or remove the file named (containerd's hosts.toml format)");
    }
    for (String registryHost : hosts) {
      for (RegistryHosts.Endpoint endpoint : parsed.endpointsFor(registryHost)) {
        Path ca = endpoint.ca() == null || !endpoint.ca().isAbsolute() ? endpoint.ca()
            : host.path(endpoint.ca().toString());
        if (ca != null && !Files.isReadable(ca)) {
          return Result.warn(name(), "ca file " + endpoint.ca() + " of mirror " + endpoint.base() + " (" + configPath
              + "/" + registryHost + "/hosts.toml) is missing: pulls through that mirror fail",
              "put the CA certificate at " + endpoint.ca() + " or fix its ca key");
        }
      }
    }
    if (hosts.isEmpty()) {
      return Result.pass(name(), "no hosts files under " + configPath);
    }
    return Result.pass(name(), hosts.size() + " hosts file" + (hosts.size() > 1 ? "s" : "") + " under " + configPath
        + (hosts.size() > 1 ? " parse: " : " parses: ") + String.join(", ", hosts));
  }

  private static String reason(IOException e) {
    if (e instanceof CharacterCodingException) {
      return "not UTF-8 text";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }
}
