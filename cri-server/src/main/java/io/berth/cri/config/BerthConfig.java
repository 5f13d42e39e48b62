package io.berth.cri.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The effective berthd configuration: built-in defaults, overlaid by the TOML file, overlaid by
 * command-line flags. Every setting has a default here, so berthd needs no file at all.
 */
public record BerthConfig(
    String root,
    String state,
    String socket,
    String logLevel,
    Server server,
    Runtime runtime,
    Network network,
    Metrics metrics,
    Streaming streaming,
    Registry registry,
    Images images,
    Cdi cdi) {

  public static final String DEFAULT_CONFIG_FILE = "/etc/berth/config.toml";

  public BerthConfig {
    requireAbsolute("root", root);
    requireAbsolute("state", state);
    requireAbsolute("socket", socket);
    LogLevels.require(logLevel);
    Objects.requireNonNull(server, "server");
    Objects.requireNonNull(runtime, "runtime");
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(streaming, "streaming");
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(images, "images");
    Objects.requireNonNull(cdi, "cdi");
  }

  /** The built-in defaults. */
  public static BerthConfig defaults() {
    return new BerthConfig(
        "/var/lib/berth",
        "/run/berth",
        "/run/berth/berth.sock",
        "info",
        new Server(10, 16 * 1024 * 1024, 300, 1000),
        new Runtime(CgroupDriver.CGROUPFS, "runc", defaultHandlers(), "/usr/bin/conmon", "/usr/bin/catatonit",
            true),
        new Network("/etc/cni/net.d", List.of("/usr/lib/cni", "/opt/cni/bin"), 60),
        new Metrics("127.0.0.1", 0),
        new Streaming("127.0.0.1", 0, "", "", 60, 4 * 60 * 60),
        new Registry("/etc/berth/certs.d", "linux/amd64", 3, 60, 10, 300, Map.of()),
        new Images(List.of(), 10, ""),
        new Cdi(List.of("/etc/cdi", "/var/run/cdi")));
  }

  private static Map<String, String> defaultHandlers() {
    Map<String, String> handlers = new LinkedHashMap<>();
    handlers.put("runc", "/usr/sbin/runc");
    handlers.put("crun", "/usr/bin/crun");
    return handlers;
  }

  @JsonIgnore
  public Path rootDir() {
    return Path.of(root);
  }

  @JsonIgnore
  public Path stateDir() {
    return Path.of(state);
  }

  @JsonIgnore
  public Path socketPath() {
    return Path.of(socket);
  }

  public BerthConfig withPaths(String root, String state, String socket) {
    return new BerthConfig(root, state, socket, logLevel, server, runtime, network, metrics, streaming, registry,
        images, cdi);
  }

  public BerthConfig withLogLevel(String level) {
    return new BerthConfig(root, state, socket, level, server, runtime, network, metrics, streaming, registry, images,
        cdi);
  }

  /** gRPC server behaviour. */
  public record Server(int shutdownGraceSeconds, int maxMessageBytes, int idleConnectionSeconds,
      int maxCallsPerConnection) {
    public Server {
      if (shutdownGraceSeconds < 0) {
        throw new IllegalArgumentException("server.shutdown_grace_seconds must be >= 0");
      }
      if (maxMessageBytes < 1024) {
        throw new IllegalArgumentException("server.max_message_bytes must be >= 1024");
      }
      if (idleConnectionSeconds < 1) {
        throw new IllegalArgumentException("server.idle_connection_seconds must be >= 1");
      }
      if (maxCallsPerConnection < 1) {
        throw new IllegalArgumentException("server.max_calls_per_connection must be >= 1");
      }
    }
  }

  /**
   * OCI runtime handlers (name to binary), the cgroup manager berthd drives, the per-container
   * monitor (conmon) and the pods' infra process (catatonit, a static binary). With
   * {@code drop_infra_container} a pod gets an infra process only when its containers share a PID
   * namespace; otherwise berthd pins the pod's IPC and UTS namespaces itself, as it does the
   * network namespace, and a pod costs one process and one monitor less.
   */
  public record Runtime(CgroupDriver cgroupDriver, String defaultHandler, Map<String, String> handlers,
      String conmon, String catatonit, boolean dropInfraContainer) {
    public Runtime {
      requireAbsolute("runtime.conmon", conmon);
      requireAbsolute("runtime.catatonit", catatonit);
      Objects.requireNonNull(cgroupDriver, "runtime.cgroup_driver");
      // Sorted: Map.copyOf iterates in an order that changes from one JVM to the next, and the
      // rendered configuration (berthd config default, verbose Status) must not.
      handlers = Collections.unmodifiableSortedMap(
          new TreeMap<>(Map.copyOf(Objects.requireNonNull(handlers, "runtime.handlers"))));
      if (!handlers.containsKey(defaultHandler)) {
        throw new IllegalArgumentException(
            "runtime.default_handler '" + defaultHandler + "' is not one of runtime.handlers " + handlers.keySet());
      }
    }
  }

  /** Where CNI network configurations and plugin binaries live, and how long a plugin may run. */
  public record Network(String cniConfDir, List<String> cniBinDirs, int pluginTimeoutSeconds) {
    public Network {
      requireAbsolute("network.cni_conf_dir", cniConfDir);
      cniBinDirs = List.copyOf(Objects.requireNonNull(cniBinDirs, "network.cni_bin_dirs"));
      if (pluginTimeoutSeconds < 1) {
        throw new IllegalArgumentException("network.plugin_timeout_seconds must be >= 1");
      }
    }
  }

  /** The Prometheus endpoint; port 0 keeps it off. */
  public record Metrics(String address, int port) {
    public Metrics {
      Objects.requireNonNull(address, "metrics.address");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("metrics.port must be within 0..65535, got " + port);
      }
    }

    @JsonIgnore
    public boolean enabled() {
      return port != 0;
    }
  }

  /**
   * The streaming server behind Exec, Attach and PortForward: where it listens (port 0: a free
   * one), TLS from a PEM certificate and PKCS#8 key when both are set, how long an unused URL
   * stays valid, and how long a session may pass no data before it is closed (4 h, as the
   * kubelet's own streaming server).
   */
  public record Streaming(String address, int port, String tlsCertFile, String tlsKeyFile, int tokenTtlSeconds,
      int idleTimeoutSeconds) {
    public Streaming {
      Objects.requireNonNull(address, "streaming.address");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("streaming.port must be within 0..65535, got " + port);
      }
      Objects.requireNonNull(tlsCertFile, "streaming.tls_cert_file");
      Objects.requireNonNull(tlsKeyFile, "streaming.tls_key_file");
      if (tlsCertFile.isEmpty() != tlsKeyFile.isEmpty()) {
        throw new IllegalArgumentException("streaming.tls_cert_file and streaming.tls_key_file must be set together");
      }
      if (tokenTtlSeconds < 1) {
        throw new IllegalArgumentException("streaming.token_ttl_seconds must be >= 1");
      }
      if (idleTimeoutSeconds < 1) {
        throw new IllegalArgumentException("streaming.idle_timeout_seconds must be >= 1");
      }
    }
  }

  /**
   * How images are pulled: per-registry hosts (mirrors, plain HTTP, CA) in containerd's
   * {@code hosts.toml} layout under {@code config_path}, the platform picked from indexes,
   * parallel downloads, the stall timeout, and default credentials per registry host.
   * {@code pull_progress_timeout_seconds} cancels a whole pull that received no byte on any of
   * its transfers for that long (0: never). Its default is containerd's five minutes, which it
   * raised from one after slow but healthy pulls were cancelled (containerd#9347); it is above
   * the per-connection stall timeout, so a dead connection is first resumed from where it stopped.
   */
  public record Registry(String configPath, String platform, int maxConcurrentDownloads, int stallTimeoutSeconds,
      int connectTimeoutSeconds, int pullProgressTimeoutSeconds, Map<String, Auth> auths) {
    public Registry {
      requireAbsolute("registry.config_path", configPath);
      Objects.requireNonNull(platform, "registry.platform");
      if (platform.split("/").length < 2) {
        throw new IllegalArgumentException("registry.platform must be os/architecture[/variant], got '"
            + platform + "'");
      }
      if (maxConcurrentDownloads < 1) {
        throw new IllegalArgumentException("registry.max_concurrent_downloads must be >= 1");
      }
      if (stallTimeoutSeconds < 1 || connectTimeoutSeconds < 1) {
        throw new IllegalArgumentException("registry.stall_timeout_seconds and connect_timeout_seconds must be >= 1");
      }
      if (pullProgressTimeoutSeconds < 0) {
        throw new IllegalArgumentException("registry.pull_progress_timeout_seconds must be >= 0 (0: off)");
      }
      auths = Collections.unmodifiableSortedMap(
          new TreeMap<>(Map.copyOf(Objects.requireNonNull(auths, "registry.auths"))));
    }
  }

  /** Default credentials for one registry host: username and password, or {@code auth} (base64 user:password). */
  public record Auth(String username, String password, String auth) {}

  /**
   * Images kept from image GC ({@code pinned}), how often active snapshots are measured, and where
   * containers' writable layers live ({@code containerRoot}; empty: under the root, with the images).
   */
  public record Images(List<String> pinned, int usageIntervalSeconds, String containerRoot) {
    public Images {
      pinned = List.copyOf(Objects.requireNonNull(pinned, "images.pinned"));
      if (usageIntervalSeconds < 1) {
        throw new IllegalArgumentException("images.usage_interval_seconds must be >= 1");
      }
      containerRoot = containerRoot == null ? "" : containerRoot;
      if (!containerRoot.isEmpty()) {
        requireAbsolute("images.container_root", containerRoot);
      }
    }

    /** The container root, or {@code root} when none is set. */
    public Path containerRootDir(Path root) {
      return containerRoot.isEmpty() ? root : Path.of(containerRoot);
    }
  }

  /**
   * Where CDI (Container Device Interface) spec files are read from; a device in a later
   * directory overrides the same device in an earlier one.
   */
  public record Cdi(List<String> specDirs) {
    public Cdi {
      specDirs = List.copyOf(Objects.requireNonNull(specDirs, "cdi.spec_dirs"));
      specDirs.forEach(dir -> requireAbsolute("cdi.spec_dirs", dir));
    }
  }

  /** Cgroup manager, as the kubelet must also be configured. */
  public enum CgroupDriver {
    @JsonProperty("cgroupfs")
    CGROUPFS,
    @JsonProperty("systemd")
    SYSTEMD
  }

  private static void requireAbsolute(String key, String value) {
    if (value == null || !value.startsWith("/")) {
      throw new IllegalArgumentException(key + " must be an absolute path, got '" + value + "'");
    }
  }
}
