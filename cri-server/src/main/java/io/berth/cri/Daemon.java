package io.berth.cri;

import io.berth.cri.config.BerthConfig;
import io.berth.cri.config.ConfigLoader;
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

  private final BerthConfig config;
  private final StateDirLock lock;
  private final CriServer server;
  private final MetricsEndpoint metricsEndpoint;
  private final ImageSubsystem images;
  private final WorkloadSubsystem workloads;
  private final CniNetwork network;
  private final HeapTrimmer heapTrimmer;

  private Daemon(BerthConfig config, StateDirLock lock, CriServer server, MetricsEndpoint metricsEndpoint,
      ImageSubsystem images, WorkloadSubsystem workloads, CniNetwork network, HeapTrimmer heapTrimmer) {
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
    try (UndoStack undo = new UndoStack()) {
      createPrivateDir(config.rootDir());
      createPrivateDir(config.stateDir());
      StateDirLock lock = StateDirLock.acquire(config.stateDir());
      undo.push("release state lock", lock::close);

      CriMetrics metrics = new CriMetrics();
      MetricsEndpoint metricsEndpoint = null;
      if (config.metrics().enabled()) {
        metricsEndpoint = MetricsEndpoint.start(metrics, config.metrics().address(), config.metrics().port());
        undo.push("stop metrics endpoint", metricsEndpoint::close);
        log.info("metrics endpoint=http://{}:{}/metrics", config.metrics().address(), metricsEndpoint.port());
      }

      ImageSubsystem images = ImageSubsystem.open(config, new ImageMetrics(metrics));
      undo.push("close image store", images::close);
      var imageService = images.service();
      PodNetworkSettings podNetwork = new PodNetworkSettings();
      var networkConfig = config.network();
      CniNetwork network = new CniNetwork(Path.of(networkConfig.cniConfDir()),
          networkConfig.cniBinDirs().stream().map(Path::of).toList(),
          Duration.ofSeconds(networkConfig.pluginTimeoutSeconds()), config.rootDir().resolve("cni-cache"), podNetwork);
      undo.push("stop CNI config watcher", network::close);
      WorkloadSubsystem workloads = WorkloadSubsystem.open(config, images, network, metrics);
      undo.push("stop workload samplers", workloads::close);

      var runtimeService =
          new RuntimeServiceAdapter(
              new VersionHandler(),
              new StatusHandler(
                  new RuntimeReadiness(config.runtime()),
                  network::readiness,
                  config,
                  loader.renderJson(config),
                  podNetwork),
              new RuntimeConfigHandler(config.runtime().cgroupDriver()),
              new UpdateRuntimeConfigHandler(podNetwork),
              workloads.handlers());

      CriServer server =
          CriServer.start(
              config.socketPath(),
              List.of(runtimeService, imageService),
              new CriCallInterceptor(metrics),
              config.server().maxMessageBytes());
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
      return new Daemon(config, lock, server, metricsEndpoint, images, workloads, network, heapTrimmer);
    }
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

  private static void createPrivateDir(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      // 0711: only root lists it, while container processes of any user may still traverse it.
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
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
