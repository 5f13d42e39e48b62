package io.berth.cri.lifecycle;

import io.berth.cri.container.CreateContainerHandler;
import io.berth.cri.metrics.CriMetrics;
import io.berth.cri.metrics.WorkloadMetrics;
import io.berth.cri.network.FakeNetworkPlugin;
import io.berth.cri.pod.InfraContainer;
import io.berth.cri.pod.PodNamespaces;
import io.berth.cri.pod.SandboxFiles;
import io.berth.cri.rules.HostCpus;
import io.berth.cri.sandbox.RunPodSandboxHandler;
import io.berth.cri.sandbox.SandboxSettings;
import io.berth.cri.spec.ContainerSpecs;
import io.berth.cri.state.NameReservations;
import io.berth.cri.state.ObjectTable;
import io.berth.cri.state.RecordFiles;
import io.berth.oci.runtime.FakeContainerRuntime;
import io.berth.oci.spec.CgroupPaths;
import io.berth.image.store.ImageStore;
import io.berth.oci.spec.ContainerSpecInput;
import io.berth.proto.runtime.v1.ContainerEventType;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PodSandboxMetadata;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.SandboxRecord;
import io.berth.snapshot.Mounter;
import io.berth.snapshot.overlay.OverlaySnapshotter;
import io.berth.sys.RecordingSyscalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * berthd's pod and container side wired over fakes in a temporary directory, as the composition
 * root wires the real parts: a fake runtime, a fake network plugin, recording system calls, fake
 * pod cgroups, and real record files. {@link #leftovers} lists whatever an operation left.
 */
final class Workload {
  /** Two CPUs and one memory node, like this machine. */
  static final HostCpus CPUS = HostCpus.of("0-1", "0");
  final Path dir;
  final ObjectTable<SandboxRecord> sandboxes;
  final ObjectTable<ContainerRecord> containers;
  final NameReservations sandboxNames = new NameReservations();
  final NameReservations containerNames = new NameReservations();
  final FakeContainerRuntime runtime;
  final RuntimeHandlers runtimes;
  final RecordingSyscalls sys = new RecordingSyscalls();
  final FakeNetworkPlugin network = new FakeNetworkPlugin();
  final FakePodCgroups cgroups = new FakePodCgroups();
  final PodNamespaces namespaces;
  final SandboxFiles files;
  final List<String> events = new CopyOnWriteArrayList<>();
  final ContainerExits exits;
  final ContainerStopper stopper;
  final ContainerRemover remover;
  final SandboxTeardown teardown;

  Workload(Path dir) {
    this(dir, new FakeContainerRuntime("runc", dir.resolve("state/containers")));
  }

  /** A workload over an existing runtime: berthd restarted while its containers ran on. */
  Workload(Path dir, FakeContainerRuntime runtime) {
    this.dir = dir;
    this.runtime = runtime;
    sandboxes = new ObjectTable<>("pod sandbox", new RecordFiles<>(dir.resolve("root/sandboxes"),
        SandboxRecord.parser()), SandboxRecord::getId);
    containers = new ObjectTable<>("container", new RecordFiles<>(dir.resolve("root/containers"),
        ContainerRecord.parser()), ContainerRecord::getId);
    runtimes = new RuntimeHandlers(Map.of("runc", runtime), "runc");
    namespaces = new PodNamespaces(dir.resolve("state/netns"), sys);
    files = new SandboxFiles(dir.resolve("state/sandboxes"), sys);
    EventSink sink = (ContainerEventType type, ContainerRecord c) -> events.add(type + " " + c.getId());
    exits = new ContainerExits(containers, runtimes, sink);
    stopper = new ContainerStopper(containers, runtimes, exits);
    remover = new ContainerRemover(containers, containerNames, runtimes, rootfs(), exits, stopper, sink);
    teardown = new SandboxTeardown(sandboxes, containers, sandboxNames, runtimes, exits, stopper, remover, network,
        namespaces, files, cgroups);
  }

  private ContainerRootfs rootfsCache;

  /** The containers' rootfs over a real overlay snapshotter (directories only: mounts go to the fake). */
  ContainerRootfs rootfs() {
    if (rootfsCache == null) {
      rootfsCache = new ContainerRootfs(dir.resolve("state/rootfs"), snapshots(), new Mounter(sys));
    }
    return rootfsCache;
  }

  private OverlaySnapshotter snapshotsCache;

  OverlaySnapshotter snapshots() {
    if (snapshotsCache == null) {
      snapshotsCache = new OverlaySnapshotter(dir.resolve("root/snapshots"), Duration.ofHours(1));
    }
    return snapshotsCache;
  }

  /** The keys of every snapshot, committed or active. */
  List<String> snapshotKeys() {
    List<String> keys = new ArrayList<>();
    snapshots().walk(info -> keys.add(info.key()));
    return keys;
  }

  Recovery recovery() {
    return new Recovery(sandboxes, containers, sandboxNames, containerNames, runtimes, exits, remover, teardown,
        namespaces);
  }

  /** RunPodSandbox as berthd wires it; {@code dropInfra}: pods without a shared PID namespace get none. */
  RunPodSandboxHandler runPodSandbox(boolean dropInfra) {
    Path catatonit = dir.resolve("catatonit");
    try {
      if (!Files.exists(catatonit)) {
        Files.writeString(catatonit, "#!/bin/true\n");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new RunPodSandboxHandler(sandboxes, sandboxNames, runtimes, teardown, files, namespaces, network,
        new InfraContainer(dir.resolve("root/infra"), catatonit),
        new SandboxSettings(CgroupPaths.Driver.CGROUPFS, new ContainerSpecInput.HostFacts(0, false, -1L), dropInfra,
            CPUS),
        new WorkloadMetrics(new CriMetrics()));
  }

  /** A CreateContainer handler on this workload, finding images in {@code images}. */
  CreateContainerHandler createContainer(ImageStore images) {
    return new CreateContainerHandler(sandboxes, containers, containerNames, runtimes, exits, remover, rootfs(), files,
        images, new ContainerSpecs(CgroupPaths.Driver.CGROUPFS, new ContainerSpecInput.HostFacts(0, false, -1L)),
        (type, c) -> { }, new WorkloadMetrics(new CriMetrics()), CPUS);
  }

  static PodSandboxConfig.Builder pod(String name) {
    return PodSandboxConfig.newBuilder()
        .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("default").setUid("uid-" + name));
  }

  /**
   * What is left of pods and containers: records, reserved names, runtime containers, network
   * attachments, mounts, and files under the state directories that hold per-object entries.
   */
  List<String> leftovers() {
    List<String> left = new ArrayList<>();
    sandboxes.all().forEach(s -> left.add("sandbox record " + s.getId() + " " + s.getPhase()));
    containers.all().forEach(c -> left.add("container record " + c.getId() + " " + c.getPhase()));
    runtime.containers().keySet().forEach(id -> left.add("runtime container " + id));
    network.attached().keySet().forEach(id -> left.add("network attachment " + id));
    sys.mounts().forEach(m -> left.add("mount " + m));
    for (String sub : List.of("state/netns", "state/sandboxes", "state/rootfs", "root/sandboxes", "root/containers")) {
      Path d = dir.resolve(sub);
      if (Files.isDirectory(d)) {
        try (Stream<Path> entries = Files.list(d)) {
          entries.forEach(p -> left.add("file " + dir.relativize(p)));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return left;
  }
}
