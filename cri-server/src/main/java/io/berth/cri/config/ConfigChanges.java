package io.berth.cri.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.node.ObjectNode;

/**
 * What differs between the running configuration and one read again on SIGHUP, as the file's
 * dotted keys ({@code images.pinned}, {@code streaming.port}), split into the keys a reload
 * applies live and those that take a restart. Keys only, never values: {@code registry.auths}
 * holds passwords, and these lists go to the log.
 */
public record ConfigChanges(List<String> live, List<String> needRestart) {
  /**
   * The keys a reload applies to the running daemon. Every other key, one added later included,
   * needs a restart: sockets, directories, runtimes and servers are built once at start.
   */
  public static final Set<String> LIVE = Set.of(
      "log_level",
      "network.cni_conf_dir",
      "network.cni_bin_dirs",
      "network.plugin_timeout_seconds",
      "registry.config_path",
      "registry.auths",
      "images.pinned");

  /**
   * Tables a file replaces as a whole ({@link ConfigBinder} binds each as one table), so a change
   * anywhere in one is reported as that one key.
   */
  static final Set<String> REPLACED_WHOLE = Set.of("runtime.handlers", "registry.auths");

  private static final ObjectMapper JSON =
      new ObjectMapper().rebuild().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();

  public ConfigChanges {
    live = List.copyOf(live);
    needRestart = List.copyOf(needRestart);
  }

  /** The keys whose values differ between {@code running} and {@code next}, in the file's order. */
  public static ConfigChanges between(BerthConfig running, BerthConfig next) {
    Map<String, JsonNode> before = leaves(running);
    Map<String, JsonNode> after = leaves(next);
    List<String> live = new ArrayList<>();
    List<String> needRestart = new ArrayList<>();
    for (var entry : after.entrySet()) {
      if (!entry.getValue().equals(before.get(entry.getKey()))) {
        (LIVE.contains(entry.getKey()) ? live : needRestart).add(entry.getKey());
      }
    }
    return new ConfigChanges(live, needRestart);
  }

  /**
   * The configuration that runs after a reload: {@code running} with the {@link #LIVE} keys of
   * {@code next}; what needs a restart keeps its running value until then.
   */
  public static BerthConfig applyLive(BerthConfig running, BerthConfig next) {
    BerthConfig.Registry registry = running.registry();
    BerthConfig.Images images = running.images();
    return new BerthConfig(running.root(), running.state(), running.socket(), next.logLevel(), running.server(),
        running.runtime(), next.network(), running.metrics(), running.streaming(),
        new BerthConfig.Registry(next.registry().configPath(), registry.platform(),
            registry.maxConcurrentDownloads(), registry.stallTimeoutSeconds(), registry.connectTimeoutSeconds(),
            registry.pullProgressTimeoutSeconds(), next.registry().auths()),
        new BerthConfig.Images(next.images().pinned(), images.usageIntervalSeconds(), images.containerRoot()),
        running.cdi());
  }

  public boolean isEmpty() {
    return live.isEmpty() && needRestart.isEmpty();
  }

  /** Every value by dotted key; a table the file replaces whole (runtime.handlers, registry.auths) is one value. */
  private static Map<String, JsonNode> leaves(BerthConfig config) {
    Map<String, JsonNode> leaves = new LinkedHashMap<>();
    collect((ObjectNode) JSON.valueToTree(config), "", leaves);
    return leaves;
  }

  private static void collect(ObjectNode node, String prefix, Map<String, JsonNode> leaves) {
    for (var entry : node.properties()) {
      String key = prefix.isEmpty() ? entry.getKey() : prefix + "." + entry.getKey();
      if (entry.getValue() instanceof ObjectNode table && !REPLACED_WHOLE.contains(key)) {
        collect(table, key, leaves);
      } else {
        leaves.put(key, entry.getValue());
      }
    }
  }
}
