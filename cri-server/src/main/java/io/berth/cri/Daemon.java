package io.berth.cri;

import io.berth.cri.config.BerthConfig;
import io.berth.cri.config.ConfigChanges;
import io.berth.cri.config.ConfigException;
import io.berth.cri.config.ConfigLoader;
import io.berth.cri.config.LogLevels;
import io.berth.cri.config.RenderedConfig;
import io.berth.cri.metrics.CriMetrics;
import io.berth.cri.metrics.ImageMetrics;
import io.berth.cri.metrics.MetricsEndpoint;
import io.berth.cri.network.PodNetworkSettings;
import io.berth.cri.network.cni.CniNetwork;
import io.berth.cri.node.BerthVersion;
import io.berth.cri.node.RuntimeConfigHandler;
import io.berth.cri.node.RuntimeReadiness;
import io.berth.cri.node.StatusHandler;
import io.berth.cri.node.UpdateRuntimeConfigHandler;
import io.berth.cri.node.VersionHandler;
import io.berth.cri.server.CriCallInterceptor;
import io.berth.cri.server.CriServer;
import io.berth.cri.server.RuntimeServiceAdapter;
import io.berth.cri.server.StateDirLock;
import io.berth.cri.steps.BackgroundStart;
import io.berth.cri.steps.StepTimer;
import io.berth.cri.steps.UndoStack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * berthd's composition root: builds every component from the configuration, serves CRI on the
 * socket, and takes it all down again. Lifecycle: {@link #start} once, {@link #stop} once.
 */
public final class Daemon {
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  /** What runs: the configuration started with, then with the live keys of each accepted reload. */
  private volatile BerthConfig config;
  /** The running configuration as JSON, for verbose Status. */
  private final RenderedConfig configJson;
  private final StateDirLock lock;
  private final CriServer server;
  private final MetricsEndpoint metricsEndpoint;
  private final ImageSubsystem images;
  private final WorkloadSubsystem workloads;
  private final CniNetwork network;
  private final HeapTrimmer heapTrimmer;

  private Daemon(BerthConfig config, RenderedConfig configJson, StateDirLock lock,
      CriServer server, MetricsEndpoint metricsEndpoint, ImageSubsystem images, WorkloadSubsystem workloads,
      CniNetwork network, HeapTrimmer heapTrimmer) {
    this.configJson = configJson;
    this.network = network;
    this.heapTrimmer = heapTrimmer;
    this.workloads = workloads;
    this.config = config;
    this.lock = lock;
    this.server = server;
    this.metricsEndpoint = metricsEndpoint;
    this.images = images;
  }

  public static Daemon start(BerthConfig config, ConfigLoader loader) throws IOException {
    long beforeStart = millisSinceProcessStart(); // the JVM, class loading, config and logging
    StepTimer steps = new StepTimer();
    try (UndoStack undo = new UndoStack()) {
      createPrivateDir(config.rootDir());
      createPrivateDir(config.stateDir());
      StateDirLock lock = StateDirLock.acquire(config.stateDir());
      undo.push("release state lock", lock::close);
      steps.step("lock");

      CriMetrics metrics = new CriMetrics();
      // The socket is bound on a thread of its own while the stores open and the pods are
      // recovered (the longest step with many pods). A client (the kubelet) can connect as soon
      // as it is bound; its calls wait for the services, which come once all of that is done,
      // as systemd's READY=1 does.
      BackgroundStart<CriServer> serverStart = BackgroundStart.run("CRI server",
          () -> CriServer.start(config.socketPath(), new CriCallInterceptor(metrics), config.server()));
      undo.push("stop CRI server", serverStart::close);
      MetricsEndpoint metricsEndpoint = null;
      if (config.metrics().enabled()) {
        metricsEndpoint = MetricsEndpoint.start(metrics, config.metrics().address(), config.metrics().port());
        undo.push("stop metrics endpoint", metricsEndpoint::close);
        log.info("metrics endpoint=http://{}:{}/metrics", config.metrics().address(), metricsEndpoint.port());
      }
      steps.step("metrics");
      ImageSubsystem images = ImageSubsystem.open(config, new ImageMetrics(metrics));
      undo.push("close image store", images::close);
      steps.step("images");
      var imageService = images.service();
      PodNetworkSettings podNetwork = new PodNetworkSettings();
      var networkConfig = config.network();
      CniNetwork network = new CniNetwork(Path.of(networkConfig.cniConfDir()), binDirs(networkConfig),
          Duration.ofSeconds(networkConfig.pluginTimeoutSeconds()), config.rootDir().resolve("cni-cache"), podNetwork);
      undo.push("stop CNI config watcher", network::close);
      steps.step("network");
      WorkloadSubsystem workloads = WorkloadSubsystem.open(config, images, network, metrics);
      undo.push("stop workload samplers", workloads::close);
      steps.step("workloads");
      RenderedConfig configJson = new RenderedConfig(loader, config);

      var runtimeService =
          new RuntimeServiceAdapter(
              new VersionHandler(),
              new StatusHandler(
                  new RuntimeReadiness(config.runtime()),
                  network::readiness,
                  config,
                  configJson,
                  podNetwork,
                  () -> workloads.userNamespaces().result().supported()),
              new RuntimeConfigHandler(config.runtime().cgroupDriver()),
              new UpdateRuntimeConfigHandler(podNetwork),
              workloads.handlers());

      // Started in the background by the workloads while the rest came up; its failure fails the
      // start before any call was served.
      workloads.awaitStreaming();
      steps.step("streaming");
      CriServer server = serverStart.await();
      steps.step("server");
      server.serve(List.of(runtimeService, imageService));
      // Checked often enough that the memory of a burst goes back within seconds; a slack of
      // 8 MB keeps the collections rare (one per burst, or per minutes of kubelet polling).
      HeapTrimmer heapTrimmer = HeapTrimmer.start(Duration.ofSeconds(5), 8L << 20);
      undo.commit();
      log.info(
          "berthd {} serving socket={} root={} state={} startup_ms={}",
          BerthVersion.version(),
          config.socket(),
          config.root(),
          config.state(),
          millisSinceProcessStart());
      log.info("startup steps: before_start={}ms {}", beforeStart, steps.summary());
      return new Daemon(config, configJson, lock, server, metricsEndpoint, images, workloads, network,
          heapTrimmer);
    }
  }

  /** The configuration in force: the one started with, plus the live keys of every accepted reload. */
  public BerthConfig config() {
    return config;
  }

  /**
   * Applies a configuration read again (on SIGHUP): the {@linkplain ConfigChanges#LIVE live keys}
   * take effect (log level, CNI conf and plugin dirs and timeout, registry hosts files re-read
   * with the default credentials, pinned images) and the others are only reported, to take
   * effect at the next start. A part that cannot be used (a hosts file that does not parse)
   * throws {@link ConfigException} before anything changed. Returns what differed.
   */
  public synchronized ConfigChanges reload(BerthConfig next) {
    BerthConfig running = config;
    ConfigChanges changes = ConfigChanges.between(running, next);
    Runnable imageSettings = images.reconfigure(next);
    LogLevels.apply(next.logLevel());
    var networkConfig = next.network();
    network.reconfigure(Path.of(networkConfig.cniConfDir()), binDirs(networkConfig),
        Duration.ofSeconds(networkConfig.pluginTimeoutSeconds()));
    imageSettings.run();
    config = ConfigChanges.applyLive(running, next);
    configJson.set(config);
    return changes;
  }

  /** berthd's work for the service manager's status line, e.g. {@code serving, 3 pods, 7 containers}. */
  public String statusLine() {
    return "serving, " + plural(workloads.podCount(), "pod") + ", " + plural(workloads.containerCount(), "container");
  }

  private static String plural(int count, String noun) {
    return count + " " + noun + (count == 1 ? "" : "s");
  }

  private static List<Path> binDirs(BerthConfig.Network networkConfig) {
    return networkConfig.cniBinDirs().stream().map(Path::of).toList();
  }

  /** Graceful stop: no new calls, in-flight calls get the configured grace, then resources go. */
  public void stop() throws IOException, InterruptedException {
    long grace = Duration.ofSeconds(config.server().shutdownGraceSeconds()).toMillis();
    log.info("berthd stopping grace_ms={}", grace);
    server.shutdown(grace);
    heapTrimmer.close();
    workloads.close();
    network.close();
    images.close();
    if (metricsEndpoint != null) {
      metricsEndpoint.close();
    }
    lock.close();
    log.info("berthd stopped");
  }

  /**
   * Root and state hold every image layer and container rootfs, setuid programs among them: with
   * 0711 any host user could walk to a known path and run them as root (containerd's
   * CVE-2021-41103). 0700, and an older installation's directory is made 0700 at start.
   */
  private static void createPrivateDir(Path dir) throws IOException {
    var owner = PosixFilePermissions.fromString("rwx------");
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(owner));
    }
    if (!Files.getPosixFilePermissions(dir).equals(owner)) {
      log.info("making dir={} accessible to root only (was {})", dir,
          PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
      Files.setPosixFilePermissions(dir, owner);
    }
  }

  private static long millisSinceProcessStart() {
    return ProcessHandle.current()
        .info()
        .startInstant()
        .map(start -> Duration.between(start, Instant.now()).toMillis())
        .orElse(-1L);
  }
}
