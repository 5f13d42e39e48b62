package io.berth.oci.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The container's environment: the image's variables, then the container config's; a name set
 * by both takes the config's value at the image's position. A default PATH is added when
 * neither sets one, as container runtimes do.
 */
public final class Environment {
  static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private Environment() {}

  /** {@code config} holds name/value pairs in order. */
  public static List<String> merge(List<String> image, List<Map.Entry<String, String>> config, String hostname) {
    Map<String, String> merged = new LinkedHashMap<>();
    for (String entry : image) {
      int eq = entry.indexOf('=');
      if (eq > 0) {
        merged.put(entry.substring(0, eq), entry.substring(eq + 1));
      }
    }
    for (var entry : config) {
      if (entry.getKey().isEmpty() || entry.getKey().contains("=")) {
        throw new SpecException("environment variable name '" + entry.getKey() + "' is empty or contains '='");
      }
      merged.put(entry.getKey(), entry.getValue());
    }
    merged.putIfAbsent("PATH", DEFAULT_PATH.substring("PATH=".length()));
    if (hostname != null && !hostname.isEmpty()) {
      merged.putIfAbsent("HOSTNAME", hostname);
    }
    List<String> env = new ArrayList<>();
    merged.forEach((k, v) -> env.add(k + "=" + v));
    return env;
  }
}
