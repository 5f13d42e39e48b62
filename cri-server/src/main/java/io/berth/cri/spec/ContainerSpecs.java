package io.berth.cri.spec;

import io.berth.cri.cdi.CdiDevices;
import io.berth.cri.cdi.CdiRegistry;
import io.berth.cri.cdi.CdiRequests;
import io.berth.cri.cdi.QualifiedName;
import io.berth.cri.error.InvalidArgumentException;
import io.berth.image.store.ImageRecord;
import io.berth.oci.spec.CgroupPaths;
import io.berth.oci.spec.ContainerSpecInput;
import io.berth.oci.spec.Devices;
import io.berth.oci.spec.ImageRuntimeDefaults;
import io.berth.oci.spec.Mounts;
import io.berth.oci.spec.Namespaces;
import io.berth.oci.spec.UserResolver;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.Device;
import io.berth.proto.runtime.v1.LinuxContainerSecurityContext;
import io.berth.proto.runtime.v1.Mount;
import io.berth.proto.runtime.v1.NamespaceMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Translates a CRI container config, its sandbox and its image into the runtime bridge's
 * {@link ContainerSpecInput}: the CRI vocabulary ends here. Reads only the container's own
 * {@code /etc/passwd} and {@code /etc/group}, and the host's device nodes it is asked to pass
 * (directly, or as CDI devices through {@link CdiDevices}).
 */
public final class ContainerSpecs {
  /**
   * What the spec needs to know about the container's pod. The namespace paths are null where the
   * pod has none of its own (host namespaces, or no infra process holding a PID namespace).
   */
  public record Pod(String sandboxId, String sandboxName, String hostname, String netnsPath, String ipcNsPath,
      String utsNsPath, String pidNsPath,
      String cgroupParent, String hostsFile, String resolvConfFile, String hostnameFile, String shmPath,
      NamespaceMode podNetwork, NamespaceMode podIpc, NamespaceMode podPid) {}

  private final CgroupPaths.Driver driver;
  private final ContainerSpecInput.HostFacts host;
  private final CdiDevices cdi;

  /** Specs on a host without CDI spec directories. */
  public ContainerSpecs(CgroupPaths.Driver driver, ContainerSpecInput.HostFacts host) {
    this(driver, host, new CdiRegistry(List.of()));
  }

  public ContainerSpecs(CgroupPaths.Driver driver, ContainerSpecInput.HostFacts host, CdiDevices cdi) {
    this.driver = driver;
    this.host = host;
    this.cdi = cdi;
  }

  /**
   * The container's seccomp setting, its Localhost profile read and checked: a file the request
   * names, so it is read before the pod's lock is taken (see {@link SeccompSetting}).
   */
  public static SeccompSetting seccomp(ContainerConfig config) {
    LinuxContainerSecurityContext security = config.getLinux().getSecurityContext();
    return SeccompSetting.of(SeccompChoice.of(security.hasSeccomp(), security.getSeccomp(),
        security.getSeccompProfilePath()), security.getPrivileged());
  }

  /**
   * {@code targetPid} is the PID of the container a TARGET pid namespace points at, else 0;
   * {@code seccomp} is {@link #seccomp}'s answer for {@code config}.
   */
  public ContainerSpecInput input(String id, Path rootfs, ContainerConfig config, Pod pod, ImageRecord image,
      long targetPid, SeccompSetting seccomp) {
    LinuxContainerSecurityContext security = config.getLinux().getSecurityContext();
    List<QualifiedName> cdiDevices = CdiRequests.of(config); // names checked before anything is read
    if (security.hasRunAsGroup() && !security.hasRunAsUser() && security.getRunAsUsername().isEmpty()) {
      throw new InvalidArgumentException("run_as_group is set without run_as_user or run_as_username");
    }
    var runtime = image.config().runtime();
    var process = new ContainerSpecInput.ProcessInput(
        config.getCommandList(), config.getArgsList(), env(config), config.getWorkingDir(), config.getTty(),
        new UserResolver.Request(
            security.hasRunAsUser() ? security.getRunAsUser().getValue() : null,
            security.getRunAsUsername().isEmpty() ? null : security.getRunAsUsername(),
            security.hasRunAsGroup() ? security.getRunAsGroup().getValue() : null,
            security.getSupplementalGroupsList(),
            security.getSupplementalGroupsPolicyValue() == 1 ? UserResolver.SupplementalGroupsPolicy.STRICT
                : UserResolver.SupplementalGroupsPolicy.MERGE),
        readImageFile(rootfs, "passwd"), readImageFile(rootfs, "group"),
        (int) config.getLinux().getResources().getOomScoreAdj());
    var securityInput = new ContainerSpecInput.SecurityInput(
        security.getPrivileged(),
        security.getCapabilities().getAddCapabilitiesList(),
        security.getCapabilities().getDropCapabilitiesList(),
        security.getReadonlyRootfs(),
        security.getNoNewPrivs(),
        security.getMaskedPathsCount() == 0 ? null : security.getMaskedPathsList(),
        security.getReadonlyPathsCount() == 0 ? null : security.getReadonlyPathsList(),
        Map.of(), // the pod's sysctls are set once, when its shared namespaces are made
        seccomp.kind(), seccomp.localhost(),
        devices(config.getDevicesList()));
    var options = security.getNamespaceOptions();
    Namespaces.Mode pid = mode(options.getPid(), pod.podPid());
    if (pid == Namespaces.Mode.POD && pod.pidNsPath() == null) {
      pid = Namespaces.Mode.CONTAINER; // a pod without an infra process has no PID namespace to share
    }
    var namespaces = new ContainerSpecInput.NamespaceInput(
        pod.podNetwork() == NamespaceMode.NODE ? Namespaces.Mode.NODE : Namespaces.Mode.POD,
        mode(options.getIpc(), pod.podIpc()),
        pid,
        new Namespaces.SandboxPaths(pod.netnsPath(), pod.ipcNsPath(), pod.utsNsPath(), pod.pidNsPath(),
            targetPid > 0 ? "/proc/" + targetPid + "/ns/pid" : null),
        pod.hostname());
    var cgroup = new ContainerSpecInput.CgroupInput(driver, pod.cgroupParent(),
        ContainerResources.of(config.getLinux().getResources()));
    String shm = pod.podIpc() == NamespaceMode.NODE ? "/dev/shm" : pod.shmPath();
    var mounts = new ContainerSpecInput.MountInput(
        new Mounts.SandboxFiles(pod.hostsFile(), pod.resolvConfFile(), pod.hostnameFile(), shm),
        null, null, binds(config.getMountsList()));
    Map<String, String> annotations = new LinkedHashMap<>(config.getAnnotationsMap());
    annotations.put("io.kubernetes.cri.container-type", "container");
    annotations.put("io.kubernetes.cri.container-name", config.getMetadata().getName());
    annotations.put("io.kubernetes.cri.sandbox-id", pod.sandboxId());
    annotations.put("io.kubernetes.cri.sandbox-name", pod.sandboxName());
    annotations.put("io.kubernetes.cri.image-name", config.getImage().getImage());
    return new ContainerSpecInput(id, rootfs.toString(),
        new ImageRuntimeDefaults(runtime.user(), runtime.env(), runtime.entrypoint(), runtime.cmd(),
            runtime.workingDir()),
        process, securityInput, namespaces, cgroup, mounts, host, annotations, cdi.resolve(cdiDevices));
  }

  /** The pod's mode unless the container asks for its own (CONTAINER) or a TARGET one. */
  private static Namespaces.Mode mode(NamespaceMode container, NamespaceMode pod) {
    if (pod == NamespaceMode.NODE || container == NamespaceMode.NODE) {
      return Namespaces.Mode.NODE;
    }
    return switch (container) {
      case CONTAINER -> Namespaces.Mode.CONTAINER;
      case TARGET -> Namespaces.Mode.TARGET;
      default -> Namespaces.Mode.POD;
    };
  }

  private static List<Map.Entry<String, String>> env(ContainerConfig config) {
    List<Map.Entry<String, String>> env = new ArrayList<>();
    config.getEnvsList().forEach(kv -> env.add(new AbstractMap.SimpleImmutableEntry<>(kv.getKey(), kv.getValue())));
    return env;
  }

  private static List<Mounts.Bind> binds(List<Mount> mounts) {
    List<Mounts.Bind> binds = new ArrayList<>();
    for (Mount m : mounts) {
      if (m.getHostPath().isEmpty() || !m.getHostPath().startsWith("/")) {
        throw new InvalidArgumentException("mount " + m.getContainerPath() + ": host_path '" + m.getHostPath()
            + "' is not an absolute path");
      }
      Path host = Path.of(m.getHostPath());
      if (!Files.exists(host)) {
        try {
          // As Docker and containerd do: a missing host path becomes an empty directory.
          Files.createDirectories(host);
        } catch (IOException e) {
          throw new InvalidArgumentException("mount " + m.getContainerPath() + ": cannot create host path "
              + host + ": " + e.getMessage());
        }
      }
      Mounts.Propagation propagation = switch (m.getPropagation()) {
        case PROPAGATION_HOST_TO_CONTAINER -> Mounts.Propagation.HOST_TO_CONTAINER;
        case PROPAGATION_BIDIRECTIONAL -> Mounts.Propagation.BIDIRECTIONAL;
        default -> Mounts.Propagation.PRIVATE;
      };
      binds.add(new Mounts.Bind(m.getContainerPath(), m.getHostPath(), m.getReadonly(), propagation,
          m.getRecursiveReadOnly()));
    }
    return binds;
  }

  private static List<Devices.HostDevice> devices(List<Device> devices) {
    List<Devices.HostDevice> result = new ArrayList<>();
    for (Device d : devices) {
      Path host = Path.of(d.getHostPath());
      try {
        int mode = (Integer) Files.getAttribute(host, "unix:mode");
        long rdev = (Long) Files.getAttribute(host, "unix:rdev");
        char type = switch (mode & 0170000) {
          case 0020000 -> 'c';
          case 0060000 -> 'b';
          default -> throw new InvalidArgumentException("device " + host + " is not a character or block device");
        };
        long major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfffL);
        long minor = (rdev & 0xff) | ((rdev >> 12) & ~0xffL);
        String containerPath = d.getContainerPath().isEmpty() ? d.getHostPath() : d.getContainerPath();
        result.add(new Devices.HostDevice(containerPath, type, major, minor,
            d.getPermissions().isEmpty() ? "rwm" : d.getPermissions()));
      } catch (IOException e) {
        throw new InvalidArgumentException("device " + host + " is not available: " + e.getMessage());
      }
    }
    return result;
  }

  /**
   * The image's {@code /etc/<name>}, or null when absent or reached through a symlink: a hostile
   * image must not make berth read a host file.
   */
  private static String readImageFile(Path rootfs, String name) {
    Path etc = rootfs.resolve("etc");
    Path file = etc.resolve(name);
    try {
      if (Files.isSymbolicLink(etc) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
          || Files.size(file) > 4 * 1024 * 1024) {
        return null;
      }
      return Files.readString(file);
    } catch (IOException e) {
      return null;
    }
  }
}
