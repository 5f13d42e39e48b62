package io.berth.cri.network.cni;

import io.berth.cri.error.UnavailableException;
import io.berth.cri.network.Condition;
import io.berth.cri.network.NetworkPlugin;
import io.berth.cri.network.PodNetworkSettings;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PortMapping;
import io.berth.proto.runtime.v1.Protocol;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Pod networking through CNI plugins, as the CNI specification says: the first valid network
 * configuration of the conf dir (re-read every second, so a config that appears later makes
 * the node ready without a restart), each plugin of the chain run with the {@code CNI_*}
 * environment and its config on stdin, {@code prevResult} chaining, the capability arguments a
 * plugin declares ({@code portMappings}, {@code dns}, {@code bandwidth}, {@code ipRanges}), and
 * a per-pod record ({@link CniAttachment}) of what DEL needs, written durably before the first ADD
 * and again with the result, so DEL undoes what ADD did across crashes, restarts and config changes.
 * The plugins run through a {@link PluginExecutor}.
 */
public final class CniNetwork implements NetworkPlugin, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CniNetwork.class);
  private static final String IFNAME = "eth0";

  private record Loaded(Optional<CniConfigList> config, String problem) {}

  // Replaced by reconfigure when the configuration is reloaded; a chain already running keeps going.
  private volatile Path confDir;
  private volatile List<Path> binDirs;
  private volatile Duration timeout;
  private final CniAttachments attachments;
  private final PodNetworkSettings podNetwork;
  private final PluginExecutor executor;
  private final AtomicReference<Loaded> current = new AtomicReference<>();
  private final ScheduledExecutorService watcher;

  public CniNetwork(Path confDir, List<Path> binDirs, Duration timeout, Path cacheDir, PodNetworkSettings podNetwork) {
    this(confDir, binDirs, timeout, cacheDir, podNetwork, new ProcessPluginExecutor(),
        Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("cni-config-watch").factory()));
  }

  /**
   * As the public one, with the plugins run by {@code executor} and the periodic reload scheduled
   * on {@code watcher}, which {@link #close} shuts down.
   */
  CniNetwork(Path confDir, List<Path> binDirs, Duration timeout, Path cacheDir, PodNetworkSettings podNetwork,
      PluginExecutor executor, ScheduledExecutorService watcher) {
    this.confDir = confDir;
    this.binDirs = List.copyOf(binDirs);
    this.timeout = timeout;
    this.attachments = new CniAttachments(cacheDir);
    this.podNetwork = podNetwork;
    this.executor = executor;
    this.watcher = watcher;
    try {
      attachments.removeTemporaries();
    } catch (UncheckedIOException e) {
      log.warn("{}", e.getMessage());
    }
    reload();
    watcher.scheduleWithFixedDelay(this::reloadOrLog, 1, 1, TimeUnit.SECONDS);
  }

  /** The watcher's reload: an exception must not end the periodic task, which would never run again. */
  private void reloadOrLog() {
    try {
      reload();
    } catch (RuntimeException e) {
      log.warn("cannot re-read the CNI config directory {}: {}", confDir, e.toString());
    }
  }

  /**
   * Re-reads the conf dir now and logs when the chosen network changes. The watcher calls it
   * every second; tests call it after changing the conf dir instead of waiting for the watcher.
   */
  public synchronized void reload() {
    List<String> problems = new ArrayList<>();
    Optional<CniConfigList> config = CniConfigList.load(confDir, problems);
    Loaded next = new Loaded(config, String.join("; ", problems));
    Loaded previous = current.getAndSet(next);
    String before = previous == null ? null : previous.config().map(c -> c.source() + ":" + c.name()).orElse("none");
    String after = config.map(c -> c.source() + ":" + c.name()).orElse("none");
    if (!after.equals(before)) {
      log.info("cni network={} problems={}", after, next.problem().isEmpty() ? "none" : next.problem());
    }
  }

  /**
   * Takes the conf dir, the plugin dirs and the plugin timeout of a reloaded configuration and
   * re-reads the conf dir at once. Pods set up before keep their cached config for DEL.
   */
  public synchronized void reconfigure(Path confDir, List<Path> binDirs, Duration timeout) {
    this.binDirs = List.copyOf(binDirs);
    this.timeout = timeout;
    this.confDir = confDir;
    reload();
  }

  @Override
  public Condition readiness() {
    Loaded loaded = current.get();
    if (loaded.config().isPresent()) {
      return Condition.met(Condition.NETWORK_READY);
    }
    return Condition.unmet(Condition.NETWORK_READY, "NetworkPluginNotReady",
        "cni config uninitialized: " + loaded.problem() + " (see the README for an example config)");
  }

  @Override
  public List<String> setUp(String id, String netns, PodSandboxConfig config) {
    Loaded loaded = current.get();
    if (loaded.config().isEmpty()) {
      // The kubelet starts no such pod while NetworkReady is false; a client that does anyway
      // gets the pod's own namespace with loopback only.
      log.warn("pod sandbox {} has loopback only: {}", id, loaded.problem());
      return List.of();
    }
    CniConfigList list = loaded.config().get();
    CniAttachment attachment = new CniAttachment(list, runtimeConfig(config), id, netns, IFNAME,
        cniArgs(id, config), null);
    // Recorded before the first plugin runs: berthd killed inside the chain (host-local has reserved an
    // address, a later plugin has not returned) must still find what DEL needs at the next start.
    attachments.write(id, attachment);
    JsonNode result = null;
    List<ObjectNode> added = new ArrayList<>();
    try {
      for (ObjectNode plugin : list.plugins()) {
        added.add(plugin);
        result = run("ADD", attachment, plugin, result);
      }
    } catch (CniException e) {
      if (undoAdd(attachment, added, result)) {
        attachments.delete(id);
      } // else the record stays: the sandbox's teardown (or the next start) runs DEL again
      throw new UnavailableException("cannot set up the network of pod sandbox " + id + " (" + list.name() + "): "
          + e.getMessage(), e);
    }
    attachments.write(id, attachment.withResult(result));
    return ips(result);
  }

  /**
   * Best-effort DEL of the plugins that were added, newest first, after a failed ADD (the last of
   * {@code added} is the one that failed); whether every plugin whose ADD had succeeded was deleted.
   */
  private boolean undoAdd(CniAttachment attachment, List<ObjectNode> added, JsonNode result) {
    boolean undone = true;
    for (int i = added.size() - 1; i >= 0; i--) {
      try {
        run("DEL", attachment, added.get(i), result);
      } catch (CniException e) {
        // The plugin whose ADD failed holds nothing to speak of; one that had added something may.
        undone &= i == added.size() - 1;
        log.warn("cni undo DEL failed sandbox={} plugin={} error={}", attachment.containerId(),
            added.get(i).path("type").asString(""), e.getMessage());
      }
    }
    return undone;
  }

  /**
   * {@inheritDoc} Every plugin of the recorded chain gets DEL, newest first, with the recorded result as
   * prevResult when ADD finished and none when it did not (berthd died inside the chain), and with the
   * recorded {@code CNI_ARGS}; {@code config} only fills in what a record of an older berthd lacks.
   */
  @Override
  public void tearDown(String id, String netns, PodSandboxConfig config) {
    Optional<CniAttachment> found;
    try {
      found = attachments.read(id);
    } catch (IOException | RuntimeException e) {
      throw new UnavailableException("cannot read the network cache of pod sandbox " + id + ": " + e.getMessage(), e);
    }
    if (found.isEmpty()) {
      return; // never attached (or detached already): DEL is idempotent
    }
    CniAttachment recorded = found.get();
    CniAttachment attachment = new CniAttachment(recorded.config(), recorded.runtimeConfig(), id, netns,
        recorded.ifName().isEmpty() ? IFNAME : recorded.ifName(),
        recorded.cniArgs().isEmpty() ? cniArgs(id, config) : recorded.cniArgs(), recorded.result());
    List<String> failures = new ArrayList<>();
    List<ObjectNode> plugins = attachment.config().plugins();
    for (int i = plugins.size() - 1; i >= 0; i--) {
      try {
        run("DEL", attachment, plugins.get(i), attachment.result());
      } catch (CniException e) {
        failures.add(e.getMessage());
      }
    }
    if (!failures.isEmpty()) {
      throw new UnavailableException("cannot tear down the network of pod sandbox " + id + ": "
          + String.join("; ", failures));
    }
    attachments.delete(id);
  }

  @Override
  public Set<String> recorded() {
    return attachments.ids();
  }

  /** The {@code CNI_ARGS} of a pod: the Kubernetes keys plugins such as Calico read. */
  private static String cniArgs(String id, PodSandboxConfig config) {
    var meta = config.getMetadata();
    return "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + meta.getNamespace() + ";K8S_POD_NAME=" + meta.getName()
        + ";K8S_POD_INFRA_CONTAINER_ID=" + id + ";K8S_POD_UID=" + meta.getUid();
  }

  /** Runs one plugin of the chain; returns its result (null when it printed none, as DEL may). */
  private JsonNode run(String command, CniAttachment attachment, ObjectNode plugin, JsonNode prevResult) {
    CniConfigList list = attachment.config();
    ObjectNode runtimeConfig = attachment.runtimeConfig();
    String type = plugin.path("type").asString("");
    Path binary = executor.find(type, binDirs)
        .orElseThrow(() -> new CniException("plugin '" + type + "' not found in " + binDirs));
    ObjectNode stdin = plugin.deepCopy();
    stdin.put("name", list.name());
    stdin.put("cniVersion", list.cniVersion());
    if (prevResult != null && !prevResult.isNull()) {
      stdin.set("prevResult", prevResult);
    }
    ObjectNode wanted = CniConfigList.JSON.createObjectNode();
    if (plugin.get("capabilities") instanceof ObjectNode capabilities) {
      for (var entry : capabilities.properties()) {
        if (entry.getValue().asBoolean(false) && runtimeConfig.has(entry.getKey())) {
          wanted.set(entry.getKey(), runtimeConfig.get(entry.getKey()));
        }
      }
    }
    if (!wanted.isEmpty()) {
      stdin.set("runtimeConfig", wanted);
    }
    Map<String, String> env = new HashMap<>();
    env.put("CNI_COMMAND", command);
    env.put("CNI_CONTAINERID", attachment.containerId());
    env.put("CNI_NETNS", attachment.netns());
    env.put("CNI_IFNAME", attachment.ifName());
    env.put("CNI_PATH", String.join(":", binDirs.stream().map(Path::toString).toList()));
    env.put("CNI_ARGS", attachment.cniArgs());
    PluginExecutor.Output output;
    try {
      output = executor.run(binary, env, CniConfigList.JSON.writeValueAsBytes(stdin), timeout);
    } catch (TimeoutException e) {
      throw new CniException(type + " " + command + " timed out after " + timeout.toSeconds() + " s");
    } catch (IOException e) {
      throw new CniException("cannot run " + binary + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CniException("interrupted running " + type, e);
    }
    String stdout = output.stdout().strip();
    if (output.exitCode() != 0) {
      throw new CniException(type + " " + command + " failed: " + errorText(stdout, output.stderr().strip(),
          output.exitCode()));
    }
    try {
      return stdout.isEmpty() ? prevResult : CniConfigList.JSON.readTree(stdout);
    } catch (JacksonException e) {
      throw new CniException(type + " " + command + " printed a result that is not JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** The CNI error object's msg and details, else whatever the plugin printed. */
  private static String errorText(String stdout, String stderr, int exit) {
    try {
      JsonNode error = CniConfigList.JSON.readTree(stdout);
      String msg = error.path("msg").asString("");
      String details = error.path("details").asString("");
      if (!msg.isEmpty()) {
        return msg + (details.isEmpty() ? "" : " (" + details + ")") + " [code " + error.path("code").asInt() + "]";
      }
    } catch (RuntimeException notJson) {
      // fall through
    }
    String text = !stdout.isEmpty() ? stdout : stderr;
    return text.isEmpty() ? "exit status " + exit : text;
  }

  /** What the runtime offers plugins that declare the capability. */
  private ObjectNode runtimeConfig(PodSandboxConfig config) {
    ObjectNode rc = CniConfigList.JSON.createObjectNode();
    ArrayNode ports = rc.putArray("portMappings");
    for (PortMapping m : config.getPortMappingsList()) {
      if (m.getHostPort() <= 0) {
        continue;
      }
      ObjectNode p = ports.addObject();
      p.put("hostPort", m.getHostPort());
      p.put("containerPort", m.getContainerPort());
      p.put("protocol", m.getProtocol() == Protocol.UDP ? "udp" : m.getProtocol() == Protocol.SCTP ? "sctp" : "tcp");
      if (!m.getHostIp().isEmpty()) {
        p.put("hostIP", m.getHostIp());
      }
    }
    var dns = config.getDnsConfig();
    ObjectNode d = rc.putObject("dns");
    dns.getServersList().forEach(d.putArray("servers")::add);
    dns.getSearchesList().forEach(d.putArray("searches")::add);
    dns.getOptionsList().forEach(d.putArray("options")::add);
    List<String> cidrs = podNetwork.podCidrs();
    if (!cidrs.isEmpty()) {
      ArrayNode ranges = rc.putArray("ipRanges");
      cidrs.forEach(c -> ranges.addArray().addObject().put("subnet", c));
    }
    Long ingress = bandwidth(config.getAnnotationsMap().get("kubernetes.io/ingress-bandwidth"));
    Long egress = bandwidth(config.getAnnotationsMap().get("kubernetes.io/egress-bandwidth"));
    if (ingress != null || egress != null) {
      ObjectNode b = rc.putObject("bandwidth");
      if (ingress != null) {
        b.put("ingressRate", ingress);
        b.put("ingressBurst", Integer.MAX_VALUE);
      }
      if (egress != null) {
        b.put("egressRate", egress);
        b.put("egressBurst", Integer.MAX_VALUE);
      }
    }
    return rc;
  }

  /** A Kubernetes bandwidth quantity ("10M", "1G", "500k") in bits per second. */
  static Long bandwidth(String quantity) {
    if (quantity == null || quantity.isBlank()) {
      return null;
    }
    String q = quantity.strip();
    long factor = 1;
    char unit = q.charAt(q.length() - 1);
    switch (unit) {
      case 'k' -> factor = 1_000L;
      case 'M' -> factor = 1_000_000L;
      case 'G' -> factor = 1_000_000_000L;
      case 'T' -> factor = 1_000_000_000_000L;
      default -> { }
    }
    String digits = factor == 1 ? q : q.substring(0, q.length() - 1);
    return Long.parseLong(digits) * factor;
  }

  /** The result's addresses without prefix length, IPv4 first. */
  static List<String> ips(JsonNode result) {
    List<String> v4 = new ArrayList<>();
    List<String> v6 = new ArrayList<>();
    if (result != null) {
      for (JsonNode ip : result.path("ips")) {
        String address = ip.path("address").asString("");
        int slash = address.indexOf('/');
        String bare = slash > 0 ? address.substring(0, slash) : address;
        if (!bare.isEmpty()) {
          (bare.contains(":") ? v6 : v4).add(bare);
        }
      }
    }
    List<String> all = new ArrayList<>(v4);
    all.addAll(v6);
    return all;
  }

  @Override
  public void close() {
    watcher.shutdownNow();
  }
}
