package io.berth.cri;

import io.berth.cri.cgroup.CgroupFilesystem;
import io.berth.cri.cgroup.PodCgroups;
import io.berth.cri.cgroup.SystemdSlices;
import io.berth.cri.cdi.CdiRegistry;
import io.berth.cri.config.BerthConfig;
import io.berth.cri.container.ContainerStatusHandler;
import io.berth.cri.container.CreateContainerHandler;
import io.berth.cri.container.ExecSyncHandler;
import io.berth.cri.container.ListContainersHandler;
import io.berth.cri.container.RemoveContainerHandler;
import io.berth.cri.container.ReopenContainerLogHandler;
import io.berth.cri.container.StartContainerHandler;
import io.berth.cri.container.StopContainerHandler;
import io.berth.cri.container.UpdateContainerResourcesHandler;
import io.berth.cri.events.ContainerEventBus;
import io.berth.cri.events.ExitWatcher;
import io.berth.cri.events.GetContainerEventsHandler;
import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.lifecycle.ContainerRemover;
import io.berth.cri.lifecycle.ContainerRootfs;
import io.berth.cri.lifecycle.ContainerStopper;
import io.berth.cri.lifecycle.EventRelay;
import io.berth.cri.lifecycle.Recovery;
import io.berth.cri.lifecycle.RuntimeHandlers;
import io.berth.cri.lifecycle.SandboxTeardown;
import io.berth.cri.metrics.CriMetrics;
import io.berth.cri.metrics.WorkloadMetrics;
import io.berth.cri.network.NetworkPlugin;
import io.berth.cri.pod.InfraContainer;
import io.berth.cri.pod.PodNamespaces;
import io.berth.cri.userns.ContainerIdmaps;
import io.berth.cri.userns.UserNamespaceSupport;
import io.berth.cri.pod.SandboxFiles;
import io.berth.cri.rules.HostCpus;
import io.berth.cri.sandbox.ListPodSandboxHandler;
import io.berth.cri.sandbox.PodSandboxStatusHandler;
import io.berth.cri.sandbox.RemovePodSandboxHandler;
import io.berth.cri.sandbox.RunPodSandboxHandler;
import io.berth.cri.sandbox.SandboxSettings;
import io.berth.cri.sandbox.StopPodSandboxHandler;
import io.berth.cri.sandbox.UpdatePodSandboxResourcesHandler;
import io.berth.cri.server.RuntimeServiceAdapter;
import io.berth.cri.spec.ContainerSpecs;
import io.berth.cri.state.NameReservations;
import io.berth.cri.state.ObjectTable;
import io.berth.cri.state.RecordFiles;
import io.berth.cri.stats.CgroupReader;
import io.berth.cri.stats.ContainerStatsCollector;
import io.berth.cri.stats.ContainerStatsHandler;
import io.berth.cri.stats.CpuRates;
import io.berth.cri.stats.CpuSampler;
import io.berth.cri.stats.ListContainerStatsHandler;
import io.berth.cri.stats.PodSandboxStatsHandler;
import io.berth.cri.stats.PodStatsCollector;
import io.berth.cri.streaming.AttachHandler;
import io.berth.cri.streaming.BackgroundStreamingServer;
import io.berth.cri.streaming.ExecHandler;
import io.berth.cri.streaming.PortForwardHandler;
import io.berth.cri.streaming.StreamTargets;
import io.berth.cri.streaming.StreamTokens;
import io.berth.cri.streaming.StreamingServer;
import io.berth.oci.runtime.ConmonRuntime;
import io.berth.oci.runtime.ContainerRuntime;
import io.berth.oci.spec.CgroupPaths;
import io.berth.oci.spec.ContainerSpecInput;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import io.berth.proto.state.v1.SandboxRecord;
import io.berth.snapshot.Mounter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
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
  /** Where the cgroup filesystem is mounted. */
  private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");
  /** Unused streaming URLs kept at most: far above what a node's clients hold at once. */
  private static final int MAX_STREAM_TOKENS = 10_000;

  private final RuntimeServiceAdapter.WorkloadHandlers handlers;
  private final CpuSampler sampler;
  private final ExitWatcher exits;

  private final BackgroundStreamingServer streaming;
  private final ObjectTable<SandboxRecord> sandboxes;
  private final ObjectTable<ContainerRecord> containers;
  private final UserNamespaceSupport userNamespaces;

  private WorkloadSubsystem(RuntimeServiceAdapter.WorkloadHandlers handlers, CpuSampler sampler, ExitWatcher exits,
      BackgroundStreamingServer streaming, ObjectTable<SandboxRecord> sandboxes,
      ObjectTable<ContainerRecord> containers, UserNamespaceSupport userNamespaces) {
    this.userNamespaces = userNamespaces;
    this.handlers = handlers;
    this.sampler = sampler;
    this.exits = exits;
    this.streaming = streaming;
    this.sandboxes = sandboxes;
    this.containers = containers;
  }

  /** Pod sandboxes berthd holds, whatever their state; from memory. */
  int podCount() {
    return sandboxes.all().size();
  }

  /** Containers berthd holds, whatever their state; from memory. */
  int containerCount() {
    return containers.all().size();
  }

  /** Waits for the streaming server started in the background; throws what made its start fail. */
  void awaitStreaming() throws IOException {
    streaming.await();
  }

  /** Whether pods may have user namespaces of their own here (tried on first use), for Status. */
  UserNamespaceSupport userNamespaces() {
    return userNamespaces;
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

    // What berthd records, and the names kubelets reserve.
    ObjectTable<SandboxRecord> sandboxes = new ObjectTable<>("pod sandbox",
        new RecordFiles<>(root.resolve("sandboxes"), SandboxRecord.parser()), SandboxRecord::getId);
    ObjectTable<ContainerRecord> containers = new ObjectTable<>("container",
        new RecordFiles<>(root.resolve("containers"), ContainerRecord.parser()), ContainerRecord::getId);
    var sandboxNames = new NameReservations();
    var containerNames = new NameReservations();

    // The host side: runtimes (each runc or crun under conmon), rootfs mounts, pod namespaces and files.
    var runtimes = runtimeHandlers(runtimeConfig, state);
    // User-namespaced pods' views: their rootfs must be reachable by the mapped root, so outside the 0700 state.
    Path views = state.resolveSibling(state.getFileName() + "-userns");
    var userNamespaces = new UserNamespaceSupport(sys, List.of(root, state), views, state.resolve("idmap"));
    var idmaps = new ContainerIdmaps(sys, state.resolve("idmap"), views);
    var rootfs = new ContainerRootfs(state.resolve("rootfs"), images.snapshots(), new Mounter(sys), idmaps);
    var namespaces = new PodNamespaces(state.resolve("netns"), sys, userNamespaces);
    var files = new SandboxFiles(state.resolve("sandboxes"), sys);
    PodCgroups cgroups = runtimeConfig.cgroupDriver() == BerthConfig.CgroupDriver.SYSTEMD
        ? new SystemdSlices("systemctl") : new CgroupFilesystem(CGROUP_ROOT);

    // The transitions several verbs share.
    var events = new EventRelay();
    var exits = new ContainerExits(containers, runtimes, events);
    var stopper = new ContainerStopper(containers, runtimes, exits);
    var remover = new ContainerRemover(containers, containerNames, runtimes, rootfs, exits, stopper, events);
    var teardown = new SandboxTeardown(sandboxes, containers, sandboxNames, runtimes, exits, stopper, remover,
        network, namespaces, files, cgroups, idmaps);
    runtimes.removeCrashLeftovers();
    int live = new Recovery(sandboxes, containers, sandboxNames, containerNames, runtimes, exits, remover, teardown,
        namespaces).run();
    log.info("recovered objects={}", live);

    var infra = new InfraContainer(root.resolve("infra"), Path.of(runtimeConfig.catatonit()), idmaps);
    CgroupPaths.Driver driver = runtimeConfig.cgroupDriver() == BerthConfig.CgroupDriver.SYSTEMD
        ? CgroupPaths.Driver.SYSTEMD : CgroupPaths.Driver.CGROUPFS;
    ContainerSpecInput.HostFacts host = hostFacts();
    var cdi = new CdiRegistry(config.cdi().specDirs().stream().map(Path::of).toList());
    var specs = new ContainerSpecs(driver, host, cdi);
    var metrics = new WorkloadMetrics(criMetrics);
    var bus = new ContainerEventBus();
    WorkloadMetrics.registerGauges(criMetrics,
        () -> count(containers.all().stream().map(c -> c.getPhase().name())),
        () -> count(sandboxes.all().stream().map(s -> s.getPhase().name())),
        bus::dropped);
    var eventStream = new GetContainerEventsHandler(sandboxes, containers, exits, bus);
    events.connect(eventStream);
    var cgroupReader = new CgroupReader(CGROUP_ROOT);
    var stats = new ContainerStatsCollector(cgroupReader, new CpuRates(),
        images.snapshots(), config.images().containerRootDir(root).resolve("snapshots").toString());
    // Each sample also folds any exit the exit watcher missed (an inotify queue overflow): lists
    // read records only, so no exit stays unnoticed longer than one period.
    var sampler = new CpuSampler(stats, () -> containers.all().stream().map(r -> foldQuietly(exits, r)).toList(),
        CPU_SAMPLE_PERIOD);
    var streamingConfig = config.streaming();
    BackgroundStreamingServer streaming = BackgroundStreamingServer.start(() -> StreamingServer.start(
        streamingConfig.address(), streamingConfig.port(), streamingConfig.tlsCertFile(), streamingConfig.tlsKeyFile(),
        new StreamTokens(Duration.ofSeconds(streamingConfig.tokenTtlSeconds()), MAX_STREAM_TOKENS, Clock.systemUTC()),
        new StreamTargets(sandboxes, containers, runtimes, exits),
        Duration.ofSeconds(streamingConfig.idleTimeoutSeconds())));
    HostCpus cpus = HostCpus.read();
    var settings = new SandboxSettings(driver, host, runtimeConfig.dropInfraContainer(), cpus);
    var verbs = new RuntimeServiceAdapter.WorkloadHandlers(
        new RunPodSandboxHandler(sandboxes, sandboxNames, runtimes, teardown, files, namespaces, network, infra,
            settings, metrics),
        new StopPodSandboxHandler(teardown),
        new RemovePodSandboxHandler(teardown),
        new PodSandboxStatusHandler(sandboxes, exits, runtimes),
        new ListPodSandboxHandler(sandboxes, exits),
        new CreateContainerHandler(sandboxes, containers, containerNames, runtimes, exits, remover, rootfs, files,
            images.images(), specs, events, metrics, cpus),
        new StartContainerHandler(containers, runtimes, exits, events),
        new StopContainerHandler(stopper),
        new RemoveContainerHandler(remover),
        new ContainerStatusHandler(containers, runtimes, exits),
        new ListContainersHandler(containers),
        new UpdateContainerResourcesHandler(containers, runtimes, exits, cpus),
        new ReopenContainerLogHandler(containers, runtimes, exits),
        new ExecSyncHandler(containers, runtimes, exits),
        new ExecHandler(containers, exits, streaming),
        new AttachHandler(containers, exits, streaming),
        new PortForwardHandler(sandboxes, exits, streaming),
        new ContainerStatsHandler(containers, exits, stats),
        new ListContainerStatsHandler(containers, exits, stats),
        eventStream,
        new PodSandboxStatsHandler(sandboxes, containers, exits, new PodStatsCollector(cgroupReader), stats),
        new UpdatePodSandboxResourcesHandler(sandboxes, cpus));
    // Taken when the record is gone or no longer live; a sandbox's infra ID has no container record.
    var exitWatcher = new ExitWatcher(state.resolve("exits"), id -> containers.find(id).map(exits::current)
        .map(r -> r.getPhase() != Phase.RUNNING && r.getPhase() != Phase.CREATED).orElse(true));
    return new WorkloadSubsystem(verbs, sampler, exitWatcher, streaming, sandboxes, containers, userNamespaces);
  }

  /**
   * One runtime per configured handler, each runc or crun under conmon with its own state root
   * {@code <state>/runtime/<name>}; bundles, exit files and attach sockets are shared.
   */
  private static RuntimeHandlers runtimeHandlers(BerthConfig.Runtime runtimeConfig, Path state) {
    Map<String, ContainerRuntime> handlers = new LinkedHashMap<>();
    boolean systemdCgroup = runtimeConfig.cgroupDriver() == BerthConfig.CgroupDriver.SYSTEMD;
    runtimeConfig.handlers().forEach((name, binary) -> handlers.put(name, new ConmonRuntime(name, Path.of(binary),
        state.resolve("runtime").resolve(name), Path.of(runtimeConfig.conmon()), state.resolve("containers"),
        state.resolve("exits"), state.resolve("attach"), systemdCgroup)));
    return new RuntimeHandlers(handlers, runtimeConfig.defaultHandler());
  }

  /** The record with its exit folded in; a record that cannot be folded now stays as it is, to be tried again. */
  private static ContainerRecord foldQuietly(ContainerExits exits, ContainerRecord record) {
    try {
      return exits.current(record);
    } catch (RuntimeException e) {
      log.warn("cannot fold the exit of container={} error={}", record.getId(), e.getMessage());
      return record;
    }
  }

  /** Objects per phase name, for the gauges. */
  private static Map<String, Long> count(Stream<String> phases) {
    return phases.collect(Collectors.groupingBy(p -> p.toLowerCase(Locale.ROOT), Collectors.counting()));
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
    return new ContainerSpecInput.HostFacts(own, canLower, bounding,
        Files.exists(CGROUP_ROOT.resolve("cgroup.controllers")));
  }
}
