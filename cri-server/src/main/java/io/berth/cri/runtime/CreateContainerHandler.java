package io.berth.cri.runtime;

import io.berth.cri.container.ContainerSpecs;
import io.berth.cri.error.AlreadyExistsException;
import io.berth.cri.error.FailedPreconditionException;
import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.error.NotFoundException;
import io.berth.cri.metrics.WorkloadMetrics;
import io.berth.cri.pod.Lifecycle;
import io.berth.cri.state.Ids;
import io.berth.cri.util.CrashPoints;
import io.berth.cri.util.StepTimer;
import io.berth.cri.util.UndoStack;
import io.berth.image.store.ImageRecord;
import io.berth.image.store.ImageStore;
import io.berth.oci.spec.RuntimeSpec;
import io.berth.oci.spec.SpecBuilder;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.ContainerEventType;
import io.berth.proto.runtime.v1.CreateContainerRequest;
import io.berth.proto.runtime.v1.CreateContainerResponse;
import io.berth.proto.runtime.v1.NamespaceMode;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import io.berth.proto.state.v1.SandboxRecord;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CreateContainer: in a READY sandbox, from an image already present (the kubelet pulls
 * first): reserve the name, write the intent, mount a writable snapshot on the image's top
 * layer, build the spec and create the container under conmon, each step with its undo.
 */
public final class CreateContainerHandler {
  private static final Logger log = LoggerFactory.getLogger(CreateContainerHandler.class);
  private final Lifecycle lifecycle;
  private final ImageStore images;
  private final ContainerSpecs specs;

  private final WorkloadMetrics metrics;

  public CreateContainerHandler(Lifecycle lifecycle, ImageStore images, ContainerSpecs specs, WorkloadMetrics metrics) {
    this.metrics = metrics;
    this.lifecycle = lifecycle;
    this.images = images;
    this.specs = specs;
  }

  public CreateContainerResponse handle(CreateContainerRequest request) {
    ContainerConfig config = request.getConfig();
    if (config.getMetadata().getName().isEmpty()) {
      throw new InvalidArgumentException("container config needs metadata.name");
    }
    if (config.getImage().getImage().isEmpty()) {
      throw new InvalidArgumentException("container config needs image.image");
    }
    SandboxRecord found = lifecycle.sandboxes().resolve(request.getPodSandboxId());
    // Holding the sandbox's lock: it cannot be stopped or removed while a container joins it.
    String id = Lifecycle.locked(lifecycle.sandboxes(), found.getId(), () -> {
      SandboxRecord sandbox = lifecycle.sandboxes().find(found.getId())
          .orElseThrow(() -> new NotFoundException("pod sandbox " + found.getId() + " not found"));
      if (!lifecycle.ready(sandbox)) {
        throw new FailedPreconditionException("pod sandbox " + sandbox.getId() + " is not ready");
      }
      ImageRecord image = images.find(config.getImage().getImage())
          .orElseThrow(() -> new NotFoundException("image " + config.getImage().getImage() + " not found"));
      try {
        return create(sandbox, config, image);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot create container " + config.getMetadata().getName() + ": "
            + e.getMessage(), e);
      }
    });
    return CreateContainerResponse.newBuilder().setContainerId(id).build();
  }

  private String create(SandboxRecord sandbox, ContainerConfig config, ImageRecord image)
      throws java.io.IOException {
    var pod = sandbox.getConfig().getMetadata();
    String name = config.getMetadata().getName() + "_" + pod.getName() + "_" + pod.getNamespace() + "_"
        + pod.getUid() + "_" + config.getMetadata().getAttempt();
    String id = Ids.next();
    var owner = lifecycle.containerNames().reserve(name, id);
    if (owner.isPresent()) {
      throw new AlreadyExistsException("container name " + name + " is reserved for " + owner.get());
    }
    var runner = lifecycle.runner();
    var runtime = lifecycle.handlers().get(sandbox.getRuntimeHandler());
    StepTimer timer = new StepTimer();
    try (UndoStack undo = new UndoStack()) {
      undo.push("release name", () -> lifecycle.containerNames().release(name, id));
      Path logPath = sandbox.getConfig().getLogDirectory().isEmpty() || config.getLogPath().isEmpty()
          ? runner.bundle(id).resolve("container.log")
          : Path.of(sandbox.getConfig().getLogDirectory()).resolve(config.getLogPath());
      ContainerRecord record = ContainerRecord.newBuilder()
          .setId(id).setSandboxId(sandbox.getId()).setName(name).setPhase(Phase.CREATING)
          .setCreatedAtNs(Lifecycle.now()).setConfig(config).setRuntimeHandler(sandbox.getRuntimeHandler())
          .setImageId(image.id()).setImageRef(image.repoDigests().isEmpty() ? image.id() : image.repoDigests().getFirst())
          .setSnapshotKey(id).setLogPath(logPath.toString()).setStopSignal(stopSignal(config, image))
          .build();
      lifecycle.containers().put(record);
      // A crash from here on leaves a CREATING record, which recovery destroys.
      undo.push("destroy container", () -> lifecycle.destroyContainer(record));

      timer.step("record");
      Path rootfs = runner.mountRootfs(id, image.topChainId());
      timer.step("snapshot_mount");
      CrashPoints.reach("container-rootfs");
      RuntimeSpec spec = SpecBuilder.build(specs.input(id, rootfs, config, pod(sandbox), image, targetPid(config)));
      timer.step("spec");
      var created = runner.create(runtime, id, name, spec, logPath, config.getStdin(), config.getStdinOnce());
      timer.step("runtime_create");
      CrashPoints.reach("container-created");
      var user = spec.process().user();
      var createdRecord = lifecycle.containers().put(record.toBuilder()
          .setPhase(Phase.CREATED).setPid(created.pid()).setCgroupsPath(spec.linux().cgroupsPath())
          .addAllCreateSteps(WorkloadProtos.steps(timer))
          .setUid(user.uid()).setGid(user.gid())
          .addAllSupplementalGroups(user.additionalGids() == null ? java.util.List.of() : user.additionalGids())
          .build());
      undo.commit();
      metrics.steps("container_create", timer.steps());
      lifecycle.event(ContainerEventType.CONTAINER_CREATED_EVENT, createdRecord);
      log.info("container created id={} name={} {}", id, name, timer.summary());
    }
    return id;
  }

  private ContainerSpecs.Pod pod(SandboxRecord sandbox) {
    var files = lifecycle.files();
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
      return java.nio.file.Files.readString(file).strip();
    } catch (java.io.IOException e) {
      return "";
    }
  }

  /** The PID of the container a TARGET pid namespace names; 0 when not TARGET. */
  private long targetPid(ContainerConfig config) {
    var options = config.getLinux().getSecurityContext().getNamespaceOptions();
    if (options.getPid() != NamespaceMode.TARGET) {
      return 0;
    }
    ContainerRecord target = lifecycle.current(lifecycle.containers().resolve(options.getTargetId()));
    if (target.getPhase() != Phase.RUNNING) {
      throw new FailedPreconditionException("target container " + target.getId() + " is not running");
    }
    return target.getPid();
  }

  /** The config's stop signal, else the image's STOPSIGNAL, else empty (SIGTERM). */
  private static String stopSignal(ContainerConfig config, ImageRecord image) {
    if (config.getStopSignalValue() != 0) {
      return config.getStopSignal().name().substring("SIGNAL_".length());
    }
    String fromImage = image.config().runtime().stopSignal();
    return fromImage == null ? "" : fromImage;
  }
}
