package io.berth.cri.sandbox;

import io.berth.cri.cgroup.SystemdSlices;
import io.berth.cri.error.AlreadyExistsException;
import io.berth.cri.lifecycle.RuntimeHandlers;
import io.berth.cri.lifecycle.SandboxTeardown;
import io.berth.cri.lifecycle.WorkloadProtos;
import io.berth.cri.metrics.WorkloadMetrics;
import io.berth.cri.network.NetworkPlugin;
import io.berth.cri.pod.InfraContainer;
import io.berth.cri.pod.PodNamespaces;
import io.berth.cri.pod.SandboxFiles;
import io.berth.cri.rules.HostCpus;
import io.berth.cri.state.Ids;
import io.berth.cri.state.NameReservations;
import io.berth.cri.state.ObjectTable;
import io.berth.cri.state.Timestamps;
import io.berth.cri.steps.CrashPoints;
import io.berth.cri.steps.StepTimer;
import io.berth.cri.steps.UndoStack;
import io.berth.cri.userns.ContainerIdmaps;
import io.berth.cri.userns.PodUserNamespace;
import io.berth.cri.userns.UserNamespaceRules;
import io.berth.oci.runtime.ContainerRuntime;
import io.berth.oci.runtime.CreateRequest;
import io.berth.oci.runtime.CreatedContainer;
import io.berth.oci.spec.CgroupPaths;
import io.berth.oci.spec.ContainerSpecInput;
import io.berth.oci.spec.Sysctls;
import io.berth.proto.runtime.v1.NamespaceMode;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.RunPodSandboxRequest;
import io.berth.proto.runtime.v1.RunPodSandboxResponse;
import io.berth.proto.state.v1.Phase;
import io.berth.proto.state.v1.SandboxRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RunPodSandbox: reserve the name, write the intent, then the pod's files and /dev/shm, its
 * pinned network namespace, and either its pinned IPC and UTS namespaces or (when the pod shares
 * a PID namespace, or infra containers are configured) its infra container, each with its undo;
 * READY last. A retry of a request still in progress (same name, same request) waits for it and
 * gets the same sandbox.
 */
public final class RunPodSandboxHandler {
  private static final Logger log = LoggerFactory.getLogger(RunPodSandboxHandler.class);
  private final ObjectTable<SandboxRecord> sandboxes;
  private final NameReservations names;
  private final RuntimeHandlers runtimes;
  private final SandboxTeardown teardown;
  private final SandboxFiles files;
  private final PodNamespaces namespaces;
  private final NetworkPlugin network;
  private final InfraContainer infra;
  private final CgroupPaths.Driver cgroupDriver;
  private final ContainerSpecInput.HostFacts host;
  private final HostCpus cpus;
  private final boolean dropInfra;
  private final WorkloadMetrics metrics;
  private final ConcurrentHashMap<String, CompletableFuture<String>> inFlight = new ConcurrentHashMap<>();

  public RunPodSandboxHandler(ObjectTable<SandboxRecord> sandboxes, NameReservations names, RuntimeHandlers runtimes,
      SandboxTeardown teardown, SandboxFiles files, PodNamespaces namespaces, NetworkPlugin network,
      InfraContainer infra, SandboxSettings settings, WorkloadMetrics metrics) {
    this.sandboxes = sandboxes;
    this.names = names;
    this.runtimes = runtimes;
    this.teardown = teardown;
    this.files = files;
    this.namespaces = namespaces;
    this.network = network;
    this.infra = infra;
    this.cgroupDriver = settings.cgroupDriver();
    this.host = settings.host();
    this.dropInfra = settings.dropInfraContainer();
    this.cpus = settings.cpus();
    this.metrics = metrics;
  }

  public RunPodSandboxResponse handle(RunPodSandboxRequest request) {
    PodSandboxConfig config = request.getConfig();
    SandboxConfigRules.validate(config, cpus);
    UserNamespaceRules.pod(config);
    String handler = runtimes.canonical(request.getRuntimeHandler());
    var meta = config.getMetadata();
    String name = meta.getName() + "_" + meta.getNamespace() + "_" + meta.getUid() + "_" + meta.getAttempt();
    String id = Ids.next();
    CompletableFuture<String> done = new CompletableFuture<>();
    inFlight.put(id, done);
    try {
      var owner = names.reserve(name, id);
      if (owner.isPresent()) {
        return RunPodSandboxResponse.newBuilder()
            .setPodSandboxId(sameRequest(owner.get(), name, config, handler)).build();
      }
      try {
        create(id, name, handler, config);
        done.complete(id);
      } catch (IOException e) {
        done.completeExceptionally(e);
        throw new UncheckedIOException("cannot create pod sandbox " + name + ": " + e.getMessage(), e);
      } catch (RuntimeException | Error e) {
        done.completeExceptionally(e);
        throw e;
      }
      return RunPodSandboxResponse.newBuilder().setPodSandboxId(id).build();
    } finally {
      inFlight.remove(id);
    }
  }

  /** The owner of the name when it was made from the same request (waiting for it if in progress). */
  private String sameRequest(String owner, String name, PodSandboxConfig config, String handler) {
    CompletableFuture<String> pending = inFlight.get(owner);
    var record = sandboxes.find(owner);
    // Compared as messages, not bytes: map fields may arrive in any order.
    boolean same = record.map(r -> r.getConfig().equals(config) && r.getRuntimeHandler().equals(handler))
        .orElse(pending != null);
    if (same && pending != null) {
      try {
        return pending.join();
      } catch (CompletionException e) {
        throw new AlreadyExistsException("pod sandbox name " + name + " was being created by " + owner
            + ", which failed: " + e.getCause().getMessage());
      }
    }
    if (same && record.isPresent()) {
      return owner;
    }
    throw new AlreadyExistsException("pod sandbox name " + name + " is reserved for " + owner);
  }

  private void create(String id, String name, String handler, PodSandboxConfig config)
      throws IOException {
    var options = config.getLinux().getSecurityContext().getNamespaceOptions();
    boolean hostNetwork = options.getNetwork() == NamespaceMode.NODE;
    // Only a shared PID namespace needs a process to hold it (and to be its PID 1); the other
    // namespaces are pinned like the network one, as CRI-O does with drop_infra_ctr.
    boolean withInfra = !dropInfra || options.getPid() == NamespaceMode.POD;
    boolean ownIpc = options.getIpc() != NamespaceMode.NODE;
    var userns = PodUserNamespace.of(options); // validated in handle()
    // The infra container's spec checks its sysctls; without one they are checked here, before anything is
    // made. A user-namespaced pod's are set where its namespaces are made, even when it has an infra container.
    var sysctls = withInfra && userns.isEmpty() ? null
        : Sysctls.validate(config.getLinux().getSysctlsMap(), !hostNetwork, ownIpc);
    if (userns.isPresent()) {
      namespaces.requireUserNamespaces();
    }
    // A pod the kubelet gives no parent still gets a pod-level cgroup, berthd's to remove.
    boolean ownCgroup = config.getLinux().getCgroupParent().isEmpty();
    String cgroupParent = !ownCgroup ? config.getLinux().getCgroupParent()
        : cgroupDriver == CgroupPaths.Driver.SYSTEMD ? SystemdSlices.podSlice(id) : "/berth/pod-" + id;
    CgroupPaths.of(cgroupDriver, cgroupParent, id); // a malformed parent is refused before anything is made
    String hostname = config.getHostname().isEmpty() ? shortHostname(hostNetwork) : config.getHostname();
    var runtime = runtimes.get(handler);
    StepTimer timer = new StepTimer();
    try (UndoStack undo = new UndoStack()) {
      undo.push("release name", () -> names.release(name, id));
      SandboxRecord record = SandboxRecord.newBuilder()
          .setId(id).setName(name).setPhase(Phase.CREATING).setCreatedAtNs(Timestamps.now())
          .setRuntimeHandler(handler).setConfig(config).setCgroupParent(cgroupParent)
          .setOwnCgroupParent(ownCgroup)
          .build();
      sandboxes.put(record);
      // A crash from here on leaves a CREATING record, which recovery destroys.
      undo.push("destroy sandbox", () -> teardown.destroy(sandboxes.find(id).orElseThrow()));
      timer.step("record");

      files.write(id, hostname, config.getDnsConfig(), hostNetwork);
      if (options.getIpc() != NamespaceMode.NODE) {
        record = record.toBuilder().setShmPath(files.mountShm(id).toString()).build();
      }
      timer.step("files_shm");
      CrashPoints.reach("sandbox-shm");
      // The network plugins and the infra container (or the other pinned namespaces) need only the
      // pinned network namespace, not each other: CNI ADD runs on its own thread meanwhile.
      CompletableFuture<List<String>> ips = CompletableFuture.completedFuture(List.of());
      if (!hostNetwork) {
        Path netns;
        if (userns.isPresent()) {
          // Its network, IPC and UTS namespaces are made with it, owned by it (see PodNamespaces).
          var pins = namespaces.createInUserNamespace(id, userns.get(), hostname, sysctls);
          netns = pins.net();
          record = record.toBuilder().setUsernsPath(pins.user().toString()).setIpcNsPath(pins.ipc().toString())
              .setUtsNsPath(pins.uts().toString()).build();
        } else {
          netns = namespaces.create(id);
        }
        record = sandboxes.put(record.toBuilder().setNetnsPath(netns.toString()).build());
        timer.step("netns");
        CrashPoints.reach("sandbox-netns");
        // The undo already registered (destroySandbox) detaches the network, from its cache.
        ips = CompletableFuture.supplyAsync(() -> network.setUp(id, netns.toString(), config),
            Thread::startVirtualThread);
      }
      long infraPid = 0;
      try {
        if (withInfra) {
          infraPid = startInfra(id, name, config, runtime, record, hostname, cgroupParent, timer);
        } else if (userns.isEmpty()) {
          var shared = namespaces.createShared(id, ownIpc,
              hostNetwork ? null : hostname, hostNetwork ? null : record.getNetnsPath(), sysctls);
          record = record.toBuilder()
              .setIpcNsPath(shared.ipc() == null ? "" : shared.ipc().toString())
              .setUtsNsPath(shared.uts() == null ? "" : shared.uts().toString())
              .build();
          timer.step("namespaces");
          CrashPoints.reach("sandbox-namespaces");
        }
      } finally {
        // Whatever happened, the network step must be over before anything is undone.
        settle(ips);
      }
      record = record.toBuilder().addAllIps(joined(ips)).build();
      timer.step("network_wait");
      CrashPoints.reach("sandbox-network");
      sandboxes.put(record.toBuilder().setPhase(Phase.CREATED).setInfraPid(infraPid)
          .addAllStartSteps(WorkloadProtos.steps(timer)).build());
      undo.commit();
      metrics.steps("pod_start", timer.steps());
      log.info("pod sandbox ready id={} name={} {}", id, name, timer.summary());
    }
  }

  /** Creates and starts the infra container; returns its PID. */
  private long startInfra(String id, String name, PodSandboxConfig config, ContainerRuntime runtime,
      SandboxRecord record, String hostname, String cgroupParent, StepTimer timer) throws IOException {
    // In its own user namespace the infra container joins the pins; the undo (destroy) removes its views.
    var spec = record.getUsernsPath().isEmpty()
        ? infra.spec(id, config, record.getNetnsPath().isEmpty() ? null : record.getNetnsPath(), hostname,
            cgroupDriver, cgroupParent, host)
        : infra.spec(id, config, new InfraContainer.UserNamespacePins(new ContainerIdmaps.Target(
            record.getUsernsPath(), PodUserNamespace.of(config.getLinux().getSecurityContext().getNamespaceOptions())
                .orElseThrow()), record.getNetnsPath(), record.getIpcNsPath(), record.getUtsNsPath()),
            cgroupDriver, cgroupParent, host);
    CreatedContainer created = runtime.create(
        new CreateRequest(id, name, spec, runtime.bundle(id).resolve("infra.log"), false, false));
    timer.step("infra_create");
    CrashPoints.reach("sandbox-infra-created");
    runtime.start(id);
    timer.step("infra_start");
    return created.pid();
  }

  /** Waits for {@code future} to finish, successfully or not. */
  private static void settle(CompletableFuture<?> future) {
    try {
      future.join();
    } catch (CompletionException | CancellationException e) {
      // reported by joined()
    }
  }

  /** The future's value, or the exception it failed with, unwrapped. */
  private static <T> T joined(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw e;
    }
  }

  private static String shortHostname(boolean hostNetwork) {
    try {
      String host = InetAddress.getLocalHost().getHostName();
      return hostNetwork ? host : host.split("\\.")[0];
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }

}
