package io.berth.cri.config;

import io.berth.cri.config.BerthConfig.Auth;
import io.berth.cri.config.BerthConfig.Cdi;
import io.berth.cri.config.BerthConfig.CgroupDriver;
import io.berth.cri.config.BerthConfig.Images;
import io.berth.cri.config.BerthConfig.Metrics;
import io.berth.cri.config.BerthConfig.Network;
import io.berth.cri.config.BerthConfig.Registry;
import io.berth.cri.config.BerthConfig.Server;
import io.berth.cri.config.BerthConfig.Streaming;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Binds a parsed configuration file onto the defaults, key by key, as written out here rather
 * than through Jackson's data binding: introspecting the configuration records cost about 0.2 s of
 * berthd's start on two cores whenever the file sets a key (the systemd cgroup driver is one), and
 * binding by hand also keeps the file's keys and their types in one readable place.
 *
 * <p>The keys are those {@link ConfigLoader#render} writes (the records' components in snake
 * case); {@code ConfigLoaderTest} renders every key and binds it back. A key the file sets
 * replaces the default; {@code runtime.handlers} and {@code registry.auths} are replaced as whole
 * tables ({@link ConfigChanges#REPLACED_WHOLE}).
 */
final class ConfigBinder {
  private ConfigBinder() {}

  /** {@code defaults} with every key {@code file} sets; unknown keys and wrong types are errors. */
  static BerthConfig bind(ConfigTable file, BerthConfig defaults) {
    String root = file.string("root", defaults.root());
    String state = file.string("state", defaults.state());
    String socket = file.string("socket", defaults.socket());
    String logLevel = file.string("log_level", defaults.logLevel());
    Server server = server(file.table("server"), defaults.server());
    BerthConfig.Runtime runtime = runtime(file.table("runtime"), defaults.runtime());
    Network network = network(file.table("network"), defaults.network());
    Metrics metrics = metrics(file.table("metrics"), defaults.metrics());
    Streaming streaming = streaming(file.table("streaming"), defaults.streaming());
    Registry registry = registry(file.table("registry"), defaults.registry());
    Images images = images(file.table("images"), defaults.images());
    Cdi cdi = cdi(file.table("cdi"), defaults.cdi());
    file.rejectUnread();
    return new BerthConfig(root, state, socket, logLevel, server, runtime, network, metrics, streaming, registry,
        images, cdi);
  }

  private static Server server(ConfigTable table, Server defaults) {
    int shutdownGraceSeconds = table.integer("shutdown_grace_seconds", defaults.shutdownGraceSeconds());
    int maxMessageBytes = table.integer("max_message_bytes", defaults.maxMessageBytes());
    int idleConnectionSeconds = table.integer("idle_connection_seconds", defaults.idleConnectionSeconds());
    int maxCallsPerConnection = table.integer("max_calls_per_connection", defaults.maxCallsPerConnection());
    table.rejectUnread();
    return new Server(shutdownGraceSeconds, maxMessageBytes, idleConnectionSeconds, maxCallsPerConnection);
  }

  private static BerthConfig.Runtime runtime(ConfigTable table, BerthConfig.Runtime defaults) {
    CgroupDriver cgroupDriver = cgroupDriver(table.string("cgroup_driver", null), defaults.cgroupDriver());
    String defaultHandler = table.string("default_handler", defaults.defaultHandler());
    Map<String, String> handlers = table.stringTable("handlers", defaults.handlers());
    String conmon = table.string("conmon", defaults.conmon());
    String catatonit = table.string("catatonit", defaults.catatonit());
    boolean dropInfraContainer = table.bool("drop_infra_container", defaults.dropInfraContainer());
    table.rejectUnread();
    return new BerthConfig.Runtime(cgroupDriver, defaultHandler, handlers, conmon, catatonit, dropInfraContainer);
  }

  private static CgroupDriver cgroupDriver(String name, CgroupDriver fallback) {
    if (name == null) {
      return fallback;
    }
    return Arrays.stream(CgroupDriver.values())
        .filter(driver -> driver.name().toLowerCase(Locale.ROOT).equals(name))
        .findFirst()
        .orElseThrow(() -> new ConfigException("key 'runtime.cgroup_driver': '" + name
            + "' is neither 'cgroupfs' nor 'systemd'"));
  }

  private static Network network(ConfigTable table, Network defaults) {
    String cniConfDir = table.string("cni_conf_dir", defaults.cniConfDir());
    List<String> cniBinDirs = table.strings("cni_bin_dirs", defaults.cniBinDirs());
    int pluginTimeoutSeconds = table.integer("plugin_timeout_seconds", defaults.pluginTimeoutSeconds());
    table.rejectUnread();
    return new Network(cniConfDir, cniBinDirs, pluginTimeoutSeconds);
  }

  private static Metrics metrics(ConfigTable table, Metrics defaults) {
    String address = table.string("address", defaults.address());
    int port = table.integer("port", defaults.port());
    table.rejectUnread();
    return new Metrics(address, port);
  }

  private static Streaming streaming(ConfigTable table, Streaming defaults) {
    String address = table.string("address", defaults.address());
    int port = table.integer("port", defaults.port());
    String tlsCertFile = table.string("tls_cert_file", defaults.tlsCertFile());
    String tlsKeyFile = table.string("tls_key_file", defaults.tlsKeyFile());
    int tokenTtlSeconds = table.integer("token_ttl_seconds", defaults.tokenTtlSeconds());
    int idleTimeoutSeconds = table.integer("idle_timeout_seconds", defaults.idleTimeoutSeconds());
    table.rejectUnread();
    return new Streaming(address, port, tlsCertFile, tlsKeyFile, tokenTtlSeconds, idleTimeoutSeconds);
  }

  private static Registry registry(ConfigTable table, Registry defaults) {
    String configPath = table.string("config_path", defaults.configPath());
    String platform = table.string("platform", defaults.platform());
    int maxConcurrentDownloads = table.integer("max_concurrent_downloads", defaults.maxConcurrentDownloads());
    int stallTimeoutSeconds = table.integer("stall_timeout_seconds", defaults.stallTimeoutSeconds());
    int connectTimeoutSeconds = table.integer("connect_timeout_seconds", defaults.connectTimeoutSeconds());
    int pullProgressTimeoutSeconds =
        table.integer("pull_progress_timeout_seconds", defaults.pullProgressTimeoutSeconds());
    Map<String, Auth> auths = table.tableOfTables("auths", defaults.auths(), ConfigBinder::auth);
    table.rejectUnread();
    return new Registry(configPath, platform, maxConcurrentDownloads, stallTimeoutSeconds, connectTimeoutSeconds,
        pullProgressTimeoutSeconds, auths);
  }

  /** One host's credentials; a key the file leaves out stays unset, as no default exists. */
  private static Auth auth(ConfigTable table) {
    return new Auth(table.string("username", null), table.string("password", null), table.string("auth", null));
  }

  private static Images images(ConfigTable table, Images defaults) {
    List<String> pinned = table.strings("pinned", defaults.pinned());
    int usageIntervalSeconds = table.integer("usage_interval_seconds", defaults.usageIntervalSeconds());
    String containerRoot = table.string("container_root", defaults.containerRoot());
    table.rejectUnread();
    return new Images(pinned, usageIntervalSeconds, containerRoot);
  }

  private static Cdi cdi(ConfigTable table, Cdi defaults) {
    List<String> specDirs = table.strings("spec_dirs", defaults.specDirs());
    table.rejectUnread();
    return new Cdi(specDirs);
  }
}
