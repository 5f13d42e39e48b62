package io.berth.cri.container;

import io.berth.cri.error.AlreadyExistsException;
import io.berth.cri.error.FailedPreconditionException;
import io.berth.cri.error.NotFoundException;
import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.lifecycle.ContainerRemover;
import io.berth.cri.lifecycle.ContainerRootfs;
import io.berth.cri.lifecycle.EventSink;
import io.berth.cri.lifecycle.RuntimeHandlers;
import io.berth.cri.lifecycle.WorkloadProtos;
import io.berth.cri.metrics.WorkloadMetrics;
import io.berth.cri.pod.SandboxFiles;
import io.berth.cri.rules.FieldRules;
import io.berth.cri.rules.HostCpus;
import io.berth.cri.rules.Signals;
import io.berth.cri.spec.ContainerSpecs;
import io.berth.cri.spec.ImageSubPath;
import io.berth.cri.spec.ImageVolumes;
import io.berth.cri.spec.SeccompSetting;
import io.berth.cri.state.Ids;
import io.berth.cri.state.NameReservations;
import io.berth.cri.state.ObjectTable;
import io.berth.cri.state.Timestamps;
import io.berth.cri.steps.Caller;
import io.berth.cri.steps.CrashPoints;
import io.berth.cri.steps.StepTimer;
import io.berth.cri.steps.UndoStack;
import io.berth.cri.userns.ContainerIdmaps;
import io.berth.cri.userns.PodUserNamespace;
import io.berth.cri.userns.UserNamespaceRules;
import io.berth.image.ImageException;
import io.berth.image.ref.ImageReference;
import io.berth.image.store.ImageRecord;
import io.berth.image.store.ImageStore;
import io.berth.oci.runtime.CreateRequest;
import io.berth.oci.spec.RuntimeSpec;
import io.berth.oci.spec.SpecBuilder;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.ContainerEventType;
import io.berth.proto.runtime.v1.CreateContainerRequest;
import io.berth.proto.runtime.v1.CreateContainerResponse;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.NamespaceMode;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import io.berth.proto.state.v1.SandboxRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CreateContainer: in a READY sandbox, from an image already present (the kubelet pulls
 * first): reserve the name, write the intent, mount a writable snapshot on the image's top
 * layer, build the spec and create the container under conmon, each step with its undo.
 */
public final class CreateContainerHandler {
  private static final Logger log = LoggerFactory.getLogger(CreateContainerHandler.class);
  private final ObjectTable<SandboxRecord> sandboxes;
  private final ObjectTable<ContainerRecord> containers;
  private final NameReservations names;
  private final RuntimeHandlers runtimes;
  private final ContainerExits exits;
  private final ContainerRemover remover;
  private final ContainerRootfs rootfs;
  private final SandboxFiles files;
  private final ImageStore images;
  private final ContainerSpecs specs;
  private final EventSink events;
  private final WorkloadMetrics metrics;
  private final HostCpus cpus;

  public CreateContainerHandler(ObjectTable<SandboxRecord> sandboxes, ObjectTable<ContainerRecord> containers,
      NameReservations names, RuntimeHandlers runtimes, ContainerExits exits, ContainerRemover remover,
      ContainerRootfs rootfs, SandboxFiles files, ImageStore images, ContainerSpecs specs, EventSink events,
      WorkloadMetrics metrics, HostCpus cpus) {
    this.sandboxes = sandboxes;
    this.containers = containers;
    this.names = names;
    this.runtimes = runtimes;
    this.exits = exits;
    this.remover = remover;
    this.rootfs = rootfs;
    this.files = files;
    this.images = images;
    this.specs = specs;
    this.events = events;
    this.metrics = metrics;
    this.cpus = cpus;
  }

  public CreateContainerResponse handle(CreateContainerRequest request) {
    ContainerConfig config = request.getConfig();
    ContainerConfigRules.validate(config, cpus);
    SandboxRecord found = sandboxes.resolve(request.getPodSandboxId());
    UserNamespaceRules.container(config, found.getConfig());
    // A file the request names, read before the lock: a slow or hostile one holds up nobody else.
    SeccompSetting seccomp = ContainerSpecs.seccomp(config);
    // Holding the sandbox's lock: it cannot be stopped or removed while a container joins it.
    String id = sandboxes.locked(found.getId(), () -> {
      SandboxRecord sandbox = sandboxes.find(found.getId())
          .orElseThrow(() -> new NotFoundException("pod sandbox " + found.getId() + " not found"));
      if (!exits.ready(sandbox)) {
        throw new FailedPreconditionException("pod sandbox " + sandbox.getId() + " is not ready");
      }
      // A retry may have waited for the lock past its caller's deadline: nothing is made for it then.
      Caller.ensureWaiting("create of container " + config.getMetadata().getName());
      ImageRecord image = images.find(config.getImage().getImage())
          .orElseThrow(() -> new NotFoundException("image " + config.getImage().getImage() + " not found"));
      String stopSignal = stopSignal(config, image);
      Map<ImageVolumes.Volume, ImageRecord> volumes = imageVolumes(config);
      try {
        return create(sandbox, config, image, volumes, seccomp, stopSignal);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create container " + config.getMetadata().getName() + ": "
            + e.getMessage(), e);
      }
    });
    return CreateContainerResponse.newBuilder().setContainerId(id).build();
  }

  /** Each image volume's image; the kubelet pulls them first, so a missing one is NOT_FOUND. */
  private Map<ImageVolumes.Volume, ImageRecord> imageVolumes(ContainerConfig config) {
    Map<ImageVolumes.Volume, ImageRecord> found = new LinkedHashMap<>();
    for (ImageVolumes.Volume volume : ImageVolumes.of(config)) {
      found.put(volume, images.find(volume.image()).orElseThrow(() -> new NotFoundException(
          "image " + volume.image() + " of the image volume at " + volume.containerPath() + " not found")));
    }
    return found;
  }

  private String create(SandboxRecord sandbox, ContainerConfig config, ImageRecord image,
      Map<ImageVolumes.Volume, ImageRecord> volumes, SeccompSetting seccomp, String stopSignal) throws IOException {
    var pod = sandbox.getConfig().getMetadata();
    String name = config.getMetadata().getName() + "_" + pod.getName() + "_" + pod.getNamespace() + "_"
        + pod.getUid() + "_" + config.getMetadata().getAttempt();
    String id = Ids.next();
    var owner = names.reserve(name, id);
    if (owner.isPresent()) {
      throw new AlreadyExistsException("container name " + name + " is reserved for " + owner.get());
    }
    var runtime = runtimes.of(sandbox);
    StepTimer timer = new StepTimer();
    try (UndoStack undo = new UndoStack()) {
      undo.push("release name", () -> names.release(name, id));
      Path logPath = sandbox.getConfig().getLogDirectory().isEmpty() || config.getLogPath().isEmpty()
          ? runtime.bundle(id).resolve("container.log")
          : Path.of(sandbox.getConfig().getLogDirectory()).resolve(config.getLogPath());
      ContainerRecord record = ContainerRecord.newBuilder()
          .setId(id).setSandboxId(sandbox.getId()).setName(name).setPhase(Phase.CREATING)
          .setCreatedAtNs(Timestamps.now()).setConfig(config).setRuntimeHandler(sandbox.getRuntimeHandler())
          .setImageId(image.id())
          .setImageRef(imageRef(config.getImage(), image))
          .setSnapshotKey(id).setLogPath(logPath.toString()).setStopSignal(stopSignal)
          .build();
      containers.put(record);
      // A crash from here on leaves a CREATING record, which recovery destroys.
      undo.push("destroy container", () -> remover.destroy(record));

      timer.step("record");
      // A pod in its own user namespace: the container joins it and sees its files through idmapped views.
      ContainerIdmaps.Target userns = sandbox.getUsernsPath().isEmpty() ? null
          : new ContainerIdmaps.Target(sandbox.getUsernsPath(), PodUserNamespace.of(
              sandbox.getConfig().getLinux().getSecurityContext().getNamespaceOptions()).orElseThrow());
      Path root = rootfs.mount(id, id, image.topChainId(), userns);
      timer.step("snapshot_mount");
      CrashPoints.reach("container-rootfs");
      // Image volumes: berthd's own read-only overlays, undone with the rootfs by "destroy container".
      Map<Integer, Path> sources = new LinkedHashMap<>();
      for (var volume : volumes.entrySet()) {
        Path view = rootfs.mountImageVolume(id, volume.getKey().index(), volume.getValue().topChainId(), userns);
        sources.put(volume.getKey().index(), ImageSubPath.resolve(view, volume.getKey().subPath(),
            volume.getKey().image()));
      }
      if (!volumes.isEmpty()) {
        timer.step("image_volumes");
      }
      RuntimeSpec spec = SpecBuilder.build(specs.input(id, root, ImageVolumes.withSources(config, sources),
          pod(sandbox), image, targetPid(config), seccomp));
      timer.step("spec");
      if (userns != null) {
        spec = rootfs.joinUserNamespace(id, userns, spec);
        timer.step("idmapped_mounts");
      }
      Caller.ensureWaiting("create of container " + name);
      var created = runtime.create(
          new CreateRequest(id, name, spec, logPath, config.getStdin(), config.getStdinOnce()));
      timer.step("runtime_create");
      CrashPoints.reach("container-created");
      var user = spec.process().user();
      var createdRecord = containers.put(record.toBuilder()
          .setPhase(Phase.CREATED).setPid(created.pid()).setCgroupsPath(spec.linux().cgroupsPath())
          .addAllCreateSteps(WorkloadProtos.steps(timer))
          .setUid(user.uid()).setGid(user.gid())
          .addAllSupplementalGroups(user.additionalGids() == null ? List.of() : user.additionalGids())
          .build());
      Caller.ensureWaiting("create of container " + name);
      undo.commit();
      metrics.steps("container_create", timer.steps());
      events.containerEvent(ContainerEventType.CONTAINER_CREATED_EVENT, createdRecord);
      log.info("container created id={} name={} {}", id, name, timer.summary());
    }
    return id;
  }

  private ContainerSpecs.Pod pod(SandboxRecord sandbox) {
    var options = sandbox.getConfig().getLinux().getSecurityContext().getNamespaceOptions();
    String id = sandbox.getId();
    return new ContainerSpecs.Pod(id, sandbox.getConfig().getMetadata().getName(),
        files.hostname(id).toFile().exists() ? readHostname(files.hostname(id)) : "",
        sandbox.getNetnsPath().isEmpty() ? null : sandbox.getNetnsPath(),
        namespacePath(sandbox, sandbox.getIpcNsPath(), "ipc"), namespacePath(sandbox, sandbox.getUtsNsPath(), "uts"),
        namespacePath(sandbox, "", "pid"),
        sandbox.getCgroupParent(), files.hosts(id).toString(), files.resolvConf(id).toString(),
        files.hostname(id).toString(), sandbox.getShmPath().isEmpty() ? null : sandbox.getShmPath(),
        options.getNetwork(), options.getIpc(), options.getPid());
  }

  /** The pod's pinned namespace, else its infra process's, else none (null). */
  private static String namespacePath(SandboxRecord sandbox, String pinned, String type) {
    if (!pinned.isEmpty()) {
      return pinned;
    }
    return sandbox.getInfraPid() > 0 ? "/proc/" + sandbox.getInfraPid() + "/ns/" + type : null;
  }

  private static String readHostname(Path file) {
    try {
      return Files.readString(file).strip();
    } catch (IOException e) {
      return "";
    }
  }

  /** The PID of the container a TARGET pid namespace names; 0 when not TARGET. */
  private long targetPid(ContainerConfig config) {
    var options = config.getLinux().getSecurityContext().getNamespaceOptions();
    if (options.getPid() != NamespaceMode.TARGET) {
      return 0;
    }
    ContainerRecord target = exits.current(containers.resolve(options.getTargetId()));
    if (target.getPhase() != Phase.RUNNING) {
      throw new FailedPreconditionException("target container " + target.getId() + " is not running");
    }
    return target.getPid();
  }

  /**
   * ContainerStatus.image_ref, the digested reference of the image in use: the repo digest in the
   * repository the kubelet named (the user's reference, else the config's), else the image's first
   * repo digest (as containerd), else its ID. image_id is always the ID, as PullImage returned it.
   */
  private static String imageRef(ImageSpec spec, ImageRecord image) {
    for (String named : List.of(spec.getUserSpecifiedImage(), spec.getImage())) {
      String repository = repository(named);
      for (String digested : image.repoDigests()) {
        if (repository != null && digested.startsWith(repository + "@")) {
          return digested;
        }
      }
    }
    return image.repoDigests().isEmpty() ? image.id() : image.repoDigests().getFirst();
  }

  private static String repository(String reference) {
    try {
      return reference.isEmpty() ? null : ImageReference.parse(reference).repository();
    } catch (ImageException.InvalidReference e) {
      return null; // an image ID or prefix names no repository
    }
  }

  /**
   * The config's stop signal, else the image's STOPSIGNAL, as the number runc's kill takes (it
   * knows only the names of 1-31); empty for SIGTERM. An image's unknown signal is refused now:
   * stored, it failed every graceful StopContainer.
   */
  private static String stopSignal(ContainerConfig config, ImageRecord image) {
    if (config.getStopSignalValue() != 0) {
      return Integer.toString(Signals.number(config.getStopSignal().name().substring("SIGNAL_".length()))
          .orElseThrow());
    }
    String fromImage = image.config().runtime().stopSignal();
    if (fromImage == null || fromImage.isEmpty()) {
      return "";
    }
    return Integer.toString(Signals.number(fromImage).orElseThrow(() -> FieldRules.invalid(
        "the StopSignal of image " + image.id(), fromImage, "is no signal (a name such as SIGTERM or SIGRTMIN+3, "
        + "or 1 to 64)")));
  }
}
