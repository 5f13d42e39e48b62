package io.berth.cri.container;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.oci.runtime.CommandLineRuntime;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The configured OCI runtime handlers (RuntimeClass names), each with its own state root
 * {@code <state>/runtime/<name>}; the empty name means the default handler.
 */
public final class RuntimeHandlers {
  private final Map<String, CommandLineRuntime> handlers = new LinkedHashMap<>();
  private final String defaultHandler;

  public RuntimeHandlers(Map<String, String> binaries, String defaultHandler, Path stateDir) {
    binaries.forEach((name, binary) ->
        handlers.put(name, new CommandLineRuntime(name, Path.of(binary), stateDir.resolve("runtime").resolve(name))));
    this.defaultHandler = defaultHandler;
  }

  /** The handler's canonical name: the request's, or the default for an empty one. */
  public String canonical(String requested) {
    String name = requested == null || requested.isEmpty() ? defaultHandler : requested;
    if (!handlers.containsKey(name)) {
      throw new InvalidArgumentException("runtime handler '" + name + "' is not configured (configured: "
          + handlers.keySet() + ")");
    }
    return name;
  }

  public CommandLineRuntime get(String name) {
    return handlers.get(canonical(name));
  }
}
