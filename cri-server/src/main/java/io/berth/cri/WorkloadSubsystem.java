package io.berth.cri;

import io.berth.cri.config.BerthConfig;
import io.berth.cri.container.ContainerRunner;
import io.berth.cri.container.ContainerSpecs;
import io.berth.cri.container.RuntimeHandlers;
import io.berth.cri.network.NetworkPlugin;
import io.berth.cri.pod.InfraContainer;
import io.berth.cri.pod.Lifecycle;
import io.berth.cri.pod.PodNamespaces;
import io.berth.cri.pod.Recovery;
import io.berth.cri.pod.SandboxFiles;
import io.berth.cri.runtime.ContainerStatsHandler;
import io.berth.cri.runtime.ContainerStatusHandler;
import io.berth.cri.runtime.CreateContainerHandler;
import io.berth.cri.events.ContainerEventBus;
import io.berth.cri.events.ExitWatcher;
import io.berth.cri.metrics.CriMetrics;
import io.berth.cri.metrics.WorkloadMetrics;
import io.berth.cri.runtime.AttachHandler;
import io.berth.cri.runtime.ExecHandler;
import io.berth.cri.runtime.ExecSyncHandler;
import io.berth.cri.runtime.PortForwardHandler;
import io.berth.cri.streaming.StreamTargets;
import io.berth.cri.streaming.StreamTokens;
import io.berth.cri.streaming.StreamingServer;
import io.berth.cri.runtime.GetContainerEventsHandler;
import io.berth.cri.runtime.ListContainerStatsHandler;
import io.berth.cri.runtime.ListContainersHandler;
import io.berth.cri.runtime.ListPodSandboxHandler;
import io.berth.cri.runtime.PodSandboxStatsHandler;
import io.berth.cri.runtime.PodSandboxStatusHandler;
import io.berth.cri.runtime.RemoveContainerHandler;
import io.berth.cri.runtime.RemovePodSandboxHandler;
import io.berth.cri.runtime.ReopenContainerLogHandler;
import io.berth.cri.runtime.RunPodSandboxHandler;
import io.berth.cri.runtime.RuntimeServiceAdapter;
import io.berth.cri.runtime.StartContainerHandler;
import io.berth.cri.runtime.StopContainerHandler;
import io.berth.cri.runtime.StopPodSandboxHandler;
import io.berth.cri.runtime.UpdateContainerResourcesHandler;
import io.berth.cri.state.NameReservations;
import io.berth.cri.state.ObjectTable;
import io.berth.cri.state.RecordFiles;
import io.berth.cri.stats.CgroupReader;
import io.berth.cri.stats.ContainerStatsCollector;
import io.berth.cri.stats.CpuRates;
import io.berth.cri.stats.CpuSampler;
import io.berth.cri.stats.PodStatsCollector;
import io.berth.oci.runtime.ConmonMonitor;
import io.berth.oci.spec.CgroupPaths;
import io.berth.oci.spec.ContainerSpecInput;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.SandboxRecord;
import io.berth.snapshot.Mounter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pod and container side of berthd, wired from the configuration. Records live under
 * {@code <root>/sandboxes} and {@code <root>/containers}; everything a reboot ends (bundles,
 * pinned network namespaces, /dev/shm, exit files, runtime state) under the state dir.
 * Recovery runs here, before the socket is served.
 */
final class WorkloadSubsystem implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkloadSubsystem.class);
  /** How often running containers' CPU counters are sampled for usage_nano_cores. */
  private static final Duration CPU_SAMPLE_PERIOD = Duration.ofSeconds(10);
  /** Unused streaming URLs kept at most: far above what a node's clients hold at once. */
  private static final int MAX_STREAM_TOKENS = 10_000;

  private final RuntimeServiceAdapter.WorkloadHandlers handlers;
  private final CpuSampler sampler;
  private final ExitWatcher exits;

  private final StreamingServer streaming;

  private WorkloadSubsystem(RuntimeServiceAdapter.WorkloadHandlers handlers, CpuSampler sampler, ExitWatcher exits,
      StreamingServer streaming) {
    this.handlers = handlers;
    this.sampler = sampler;
    this.exits = exits;
    this.streaming = streaming;
  }

  StreamingServer streaming() {
    return streaming;
  }

  RuntimeServiceAdapter.WorkloadHandlers handlers() {
    return handlers;
  }

  @Override
  public void close() {
    streaming.close();
    sampler.close();
    try {
      exits.close();
    } catch (IOException e) {
      log.warn("cannot close the exit watcher: {}", e.getMessage());
    }
  }

  static WorkloadSubsystem open(BerthConfig config, ImageSubsystem images, NetworkPlugin network,
      CriMetrics criMetrics) throws IOException {
    Path root = config.rootDir();
    Path state = config.stateDir();
    var runtimeConfig = config.runtime();
    var sys = images.syscalls();
    var handlers = new RuntimeHandlers(runtimeConfig.handlers(), runtimeConfig.defaultHandler(), state);
    var monitor = new ConmonMonitor(Path.of(runtimeConfig.conmon()), state.resolve("exits"), state.resolve("attach"));
    var runner = new ContainerRunner(state.resolve("containers"), monitor, images.snapshots(), new Mounter(sys));
    var lifecycle = new Lifecycle(
        new ObjectTable<>("pod sandbox", new RecordFiles<>(root.resolve("sandboxes"), SandboxRecord.parser()),
            SandboxRecord::getId),
        new ObjectTable<>("container", new RecordFiles<>(root.resolve("containers"), ContainerRecord.parser()),
            ContainerRecord::getId),
        new NameReservations(), new NameReservations(), runner, handlers,
        new PodNamespaces(state.resolve("netns"), sys),
        new SandboxFiles(state.resolve("sandboxes"), sys), network);
    int live = new Recovery(lifecycle).run();
    log.info("recovered objects={}", live);

    var infra = new InfraContainer(root.resolve("infra"), Path.of(runtimeConfig.catatonit()));
    CgroupPaths.Driver driver = runtimeConfig.cgroupDriver() == BerthConfig.CgroupDriver.SYSTEMD
        ? CgroupPaths.Driver.SYSTEMD : CgroupPaths.Driver.CGROUPFS;
    ContainerSpecInput.HostFacts host = hostFacts();
    var specs = new ContainerSpecs(driver, host);
    var metrics = new WorkloadMetrics(criMetrics);
    var bus = new ContainerEventBus();
    WorkloadMetrics.registerGauges(criMetrics,
        () -> count(lifecycle.containers().all().stream().map(c -> c.getPhase().name())),
        () -> count(lifecycle.sandboxes().all().stream().map(s -> s.getPhase().name())),
        bus::dropped);
    var events = new GetContainerEventsHandler(lifecycle, bus);
    lifecycle.reportEventsTo(events);
    var cgroups = new CgroupReader(Path.of("/sys/fs/cgroup"));
    var stats = new ContainerStatsCollector(cgroups, new CpuRates(),
        images.snapshots(), root.resolve("snapshots").toString());
    var sampler = new CpuSampler(stats, () -> lifecycle.containers().all(), CPU_SAMPLE_PERIOD);
    var streamingConfig = config.streaming();
    StreamingServer streaming;
    try {
      streaming = StreamingServer.start(streamingConfig.address(), streamingConfig.port(),
          streamingConfig.tlsCertFile(), streamingConfig.tlsKeyFile(),
          new StreamTokens(Duration.ofSeconds(streamingConfig.tokenTtlSeconds()), MAX_STREAM_TOKENS, Clock.systemUTC()),
          new StreamTargets(lifecycle), Duration.ofSeconds(streamingConfig.idleTimeoutSeconds()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted starting the streaming server", e);
    }
    var verbs = new RuntimeServiceAdapter.WorkloadHandlers(
        new RunPodSandboxHandler(lifecycle, infra, driver, host, runtimeConfig.dropInfraContainer(), metrics),
        new StopPodSandboxHandler(lifecycle),
        new RemovePodSandboxHandler(lifecycle),
        new PodSandboxStatusHandler(lifecycle),
        new ListPodSandboxHandler(lifecycle),
        new CreateContainerHandler(lifecycle, images.images(), specs, metrics),
        new StartContainerHandler(lifecycle),
        new StopContainerHandler(lifecycle),
        new RemoveContainerHandler(lifecycle),
        new ContainerStatusHandler(lifecycle),
        new ListContainersHandler(lifecycle),
        new UpdateContainerResourcesHandler(lifecycle),
        new ReopenContainerLogHandler(lifecycle),
        new ExecSyncHandler(lifecycle),
        new ExecHandler(lifecycle, streaming),
        new AttachHandler(lifecycle, streaming),
        new PortForwardHandler(lifecycle, streaming),
        new ContainerStatsHandler(lifecycle, stats),
        new ListContainerStatsHandler(lifecycle, stats),
        events,
        new PodSandboxStatsHandler(lifecycle, new PodStatsCollector(cgroups), stats));
    var exits = new ExitWatcher(state.resolve("exits"),
        id -> lifecycle.containers().find(id).ifPresent(lifecycle::current));
    return new WorkloadSubsystem(verbs, sampler, exits, streaming);
  }

  /** Objects per phase name, for the gauges. */
  private static java.util.Map<String, Long> count(java.util.stream.Stream<String> phases) {
    return phases.collect(java.util.stream.Collectors.groupingBy(p -> p.toLowerCase(java.util.Locale.ROOT),
        java.util.stream.Collectors.counting()));
  }

  /**
   * berthd's own oom_score_adj, whether it may set a lower one for containers (that needs
   * CAP_SYS_RESOURCE, capability 24, which these machines do not grant), and its bounding set.
   */
  static ContainerSpecInput.HostFacts hostFacts() {
    int own = 0;
    boolean canLower = false;
    long bounding = -1L;
    try {
      own = Integer.parseInt(Files.readString(Path.of("/proc/self/oom_score_adj")).strip());
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("CapEff:")) {
          long caps = Long.parseUnsignedLong(line.substring(7).strip(), 16);
          canLower = (caps & (1L << 24)) != 0;
        } else if (line.startsWith("CapBnd:")) {
          bounding = Long.parseUnsignedLong(line.substring(7).strip(), 16);
        }
      }
    } catch (IOException | NumberFormatException e) {
      log.warn("cannot read own oom_score_adj or capabilities: {}", e.getMessage());
    }
    return new ContainerSpecInput.HostFacts(own, canLower, bounding);
  }
}
