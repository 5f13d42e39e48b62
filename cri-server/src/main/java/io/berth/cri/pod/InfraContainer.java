package io.berth.cri.pod;

import io.berth.cri.spec.SeccompChoice;
import io.berth.cri.spec.SeccompSetting;
import io.berth.cri.userns.ContainerIdmaps;
import io.berth.oci.spec.CgroupPaths;
import io.berth.oci.spec.ContainerSpecInput;
import io.berth.oci.spec.ImageRuntimeDefaults;
import io.berth.oci.spec.Mounts;
import io.berth.oci.spec.Namespaces;
import io.berth.oci.spec.RuntimeSpec;
import io.berth.oci.spec.SpecBuilder;
import io.berth.oci.spec.UserResolver;
import io.berth.proto.runtime.v1.NamespaceMode;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The pod's infra container: {@code catatonit -P} (it only waits, and reaps nothing) in a
 * read-only built-in rootfs that holds nothing else, so no image is pulled to start a pod. It
 * holds the pod's IPC, UTS and PID namespaces, which the pod's containers join through
 * {@code /proc/<infra pid>/ns/*}; the network namespace is the pinned one. In a pod with its own
 * user namespace it joins that namespace and the pod's pinned IPC and UTS namespaces, and holds only
 * the PID namespace (made after joining, so owned by the pod's user namespace).
 */
public final class InfraContainer {
  private final Path rootfs;
  private final Path catatonit;
  private final ContainerIdmaps idmaps;

  public InfraContainer(Path dir, Path catatonit) {
    this(dir, catatonit, null);
  }

  /** As above; {@code idmaps} shows the rootfs to the infra container of a pod in its own user namespace. */
  public InfraContainer(Path dir, Path catatonit, ContainerIdmaps idmaps) {
    this.rootfs = dir.resolve("rootfs");
    this.catatonit = catatonit;
    this.idmaps = idmaps;
  }

  private volatile boolean prepared;

  /**
   * Builds the rootfs if it is missing or its catatonit differs from the host's; idempotent.
   * Done at the first pod rather than at start, so that a full disk fails pods, not berthd.
   */
  public synchronized Path prepareRootfs() throws IOException {
    if (prepared) {
      return rootfs;
    }
    Path binary = rootfs.resolve("catatonit");
    if (!Files.exists(binary) || Files.size(binary) != Files.size(catatonit)) {
      for (String dir : List.of("proc", "dev", "sys", "etc")) {
        Files.createDirectories(rootfs.resolve(dir));
      }
      Path temp = rootfs.resolve(".catatonit.tmp");
      Files.copy(catatonit, temp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(temp, binary, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
    prepared = true;
    return rootfs;
  }

  /** The infra container's spec for sandbox {@code id}; {@code netns} is null for host network. */
  public RuntimeSpec spec(String id, PodSandboxConfig config, String netns, String hostname,
      CgroupPaths.Driver driver, String cgroupParent, ContainerSpecInput.HostFacts host) throws IOException {
    prepareRootfs();
    var options = config.getLinux().getSecurityContext().getNamespaceOptions();
    Namespaces.Mode network = netns == null ? Namespaces.Mode.NODE : Namespaces.Mode.POD;
    Namespaces.Mode ipc = options.getIpc() == NamespaceMode.NODE ? Namespaces.Mode.NODE : Namespaces.Mode.CONTAINER;
    Namespaces.Mode pid = options.getPid() == NamespaceMode.NODE ? Namespaces.Mode.NODE : Namespaces.Mode.CONTAINER;
    var security = config.getLinux().getSecurityContext();
    // Seccomp as the pod asks (unconfined unless it does, as with containerd's pause container):
    // catatonit runs with no capabilities and no_new_privs anyway, and compiling a filter is a
    // third of the infra container's creation time.
    var seccomp = SeccompSetting.of(SeccompChoice.of(security.hasSeccomp(), security.getSeccomp(),
        security.getSeccompProfilePath()), false);
    ContainerSpecInput input = new ContainerSpecInput(id, rootfs.toString(),
        new ImageRuntimeDefaults("", List.of(), List.of("/catatonit", "-P"), List.of(), "/"),
        new ContainerSpecInput.ProcessInput(List.of(), List.of(), List.of(), "", false,
            new UserResolver.Request(0L, null, 0L, List.of(), null), null, null, 0),
        new ContainerSpecInput.SecurityInput(false, List.of(), List.of("ALL"), true, true, null, null,
            config.getLinux().getSysctlsMap(), seccomp.kind(), seccomp.localhost(), List.of()),
        new ContainerSpecInput.NamespaceInput(network, ipc, pid,
            new Namespaces.SandboxPaths(netns, null, "(new)", null, null), hostname),
        new ContainerSpecInput.CgroupInput(driver, cgroupParent, null),
        new ContainerSpecInput.MountInput(new Mounts.SandboxFiles(null, null, null, null), null, null, List.of()),
        host,
        Map.of("io.kubernetes.cri.container-type", "sandbox", "io.kubernetes.cri.sandbox-id", id));
    RuntimeSpec spec = SpecBuilder.build(input);
    // The pod's UTS namespace is created here (the builder joins the pod's for every other container).
    List<RuntimeSpec.Namespace> namespaces = new ArrayList<>();
    for (RuntimeSpec.Namespace ns : spec.linux().namespaces()) {
      namespaces.add(ns.type().equals("uts") ? new RuntimeSpec.Namespace("uts", null) : ns);
    }
    var linux = spec.linux();
    return new RuntimeSpec(spec.ociVersion(), spec.process(), spec.root(), spec.hostname(), spec.mounts(),
        new RuntimeSpec.Linux(namespaces, linux.cgroupsPath(), linux.resources(), linux.sysctl(), linux.maskedPaths(),
            linux.readonlyPaths(), linux.rootfsPropagation(), linux.seccomp(), linux.devices()),
        spec.annotations());
  }

  /** The pod's pinned namespaces that the infra container of a pod in its own user namespace joins. */
  public record UserNamespacePins(ContainerIdmaps.Target userns, String netns, String ipc, String uts) {}

  /**
   * The infra container's spec for sandbox {@code id} of a pod in its own user namespace: it joins the
   * user, network, IPC and UTS namespaces pinned with it (their sysctls and hostname were set there),
   * makes the PID namespace, and runs from its rootfs bound where the mapped root can reach it
   * ({@link ContainerIdmaps#join}; {@link ContainerIdmaps#remove} with the sandbox's ID undoes that).
   */
  public RuntimeSpec spec(String id, PodSandboxConfig config, UserNamespacePins pins, CgroupPaths.Driver driver,
      String cgroupParent, ContainerSpecInput.HostFacts host) throws IOException {
    if (idmaps == null) {
      throw new IllegalStateException("no idmapped views here: user namespaces were not set up");
    }
    RuntimeSpec plain = spec(id, config, pins.netns(), null, driver, cgroupParent, host);
    List<RuntimeSpec.Namespace> namespaces = new ArrayList<>();
    for (RuntimeSpec.Namespace ns : plain.linux().namespaces()) {
      namespaces.add(switch (ns.type()) {
        case "ipc" -> new RuntimeSpec.Namespace("ipc", pins.ipc());
        case "uts" -> new RuntimeSpec.Namespace("uts", pins.uts());
        default -> ns;
      });
    }
    var linux = plain.linux();
    RuntimeSpec joined = new RuntimeSpec(plain.ociVersion(), plain.process(), plain.root(), null, plain.mounts(),
        new RuntimeSpec.Linux(namespaces, linux.cgroupsPath(), linux.resources(), null, linux.maskedPaths(),
            linux.readonlyPaths(), linux.rootfsPropagation(), linux.seccomp(), linux.devices()),
        plain.annotations());
    return idmaps.join(id, pins.userns(), joined, rootfs, source -> false);
  }
}
