package io.berth.cri.network.cni;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A recording {@link PluginExecutor} with scripted plugins instead of binaries: every run is kept
 * with its environment and its parsed stdin, and the fake tracks what each plugin holds (an ADD
 * that succeeded and no DEL since), so a test can see that an undo released everything.
 * Thread-safe.
 */
final class FakePluginExecutor implements PluginExecutor {
  /** One run of a plugin, as it received it. */
  record Run(String type, Path binary, Map<String, String> env, ObjectNode stdin) {
    String command() {
      return env.get("CNI_COMMAND");
    }

    String sandboxId() {
      return env.get("CNI_CONTAINERID");
    }

    /** The prevResult the runtime passed; null when it passed none. */
    JsonNode prevResult() {
      return stdin.get("prevResult");
    }
  }

  /** What a scripted plugin does when run. */
  @FunctionalInterface
  interface Plugin {
    Output run(Run run) throws IOException, TimeoutException;
  }

  private final Map<String, Plugin> plugins = new HashMap<>();
  private final List<Run> runs = new ArrayList<>();
  private final Set<String> held = new LinkedHashSet<>();

  /** Installs {@code type} as a plugin that passes the previous result on (as portmap or tuning do). */
  synchronized FakePluginExecutor passThrough(String type) {
    return install(type, run -> run.command().equals("ADD") ? ok(resultOrEmpty(run)) : ok(""));
  }

  /** Installs {@code type} as an interface plugin whose ADD result has {@code addresses} (CIDR form). */
  synchronized FakePluginExecutor allocating(String type, String... addresses) {
    return install(type, run -> {
      if (!run.command().equals("ADD")) {
        return ok("");
      }
      ObjectNode result = CniConfigList.JSON.createObjectNode();
      result.put("cniVersion", run.stdin().path("cniVersion").asString());
      result.putArray("interfaces").addObject().put("name", "eth0").put("sandbox", run.env().get("CNI_NETNS"));
      ArrayNode ips = result.putArray("ips");
      for (String address : addresses) {
        ips.addObject().put("address", address).put("interface", 0);
      }
      return ok(result.toString());
    });
  }

  /** Installs {@code type} as a plugin that exits with {@code exitCode}, printing {@code stdout} and {@code stderr}. */
  synchronized FakePluginExecutor failing(String type, int exitCode, String stdout, String stderr) {
    return install(type, run -> new Output(exitCode, stdout, stderr));
  }

  /** Installs (or replaces) {@code type} with a scripted behaviour. */
  synchronized FakePluginExecutor install(String type, Plugin plugin) {
    plugins.put(type, plugin);
    return this;
  }

  /** A successful run that printed {@code stdout}. */
  static Output ok(String stdout) {
    return new Output(0, stdout, "");
  }

  private static String resultOrEmpty(Run run) {
    JsonNode prev = run.prevResult();
    return prev != null ? prev.toString() : "{\"cniVersion\":\"" + run.stdin().path("cniVersion").asString() + "\"}";
  }

  @Override
  public synchronized Optional<Path> find(String type, List<Path> dirs) {
    return plugins.containsKey(type) ? Optional.of(dirs.getFirst().resolve(type)) : Optional.empty();
  }

  @Override
  public Output run(Path binary, Map<String, String> env, byte[] stdin, Duration timeout)
      throws IOException, TimeoutException {
    String type = binary.getFileName().toString();
    Run run = new Run(type, binary, Map.copyOf(env),
        (ObjectNode) CniConfigList.JSON.readTree(new String(stdin, StandardCharsets.UTF_8)));
    Plugin plugin;
    synchronized (this) {
      runs.add(run);
      plugin = plugins.get(type);
    }
    Output output = plugin.run(run);
    if (output.exitCode() == 0) {
      synchronized (this) {
        if (run.command().equals("ADD")) {
          held.add(type + ":" + run.sandboxId());
        } else if (run.command().equals("DEL")) {
          held.remove(type + ":" + run.sandboxId());
        }
      }
    }
    return output;
  }

  /** Every run so far, in order. */
  synchronized List<Run> runs() {
    return List.copyOf(runs);
  }

  /** "TYPE COMMAND" of every run so far, in order: the chain as it ran. */
  synchronized List<String> chain() {
    return runs.stream().map(r -> r.type() + " " + r.command()).toList();
  }

  /** "type:sandbox" of every ADD that succeeded and was not deleted since. */
  synchronized Set<String> held() {
    return Set.copyOf(held);
  }

  /** Forgets the runs so far (what is held stays). */
  synchronized void clearRuns() {
    runs.clear();
  }
}
