package io.berth.oci.spec;

import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * Everything the spec of one container is built from, grouped by concern: the image's defaults,
 * the container config (already translated from CRI by the caller), the sandbox it joins,
 * facts about this host, and the edits of the CDI devices it asks for. Plain data;
 * {@link SpecBuilder} turns it into a {@link RuntimeSpec}.
 */
public record ContainerSpecInput(
    String containerId,
    String rootfs,
    ImageRuntimeDefaults image,
    ProcessInput process,
    SecurityInput security,
    NamespaceInput namespaces,
    CgroupInput cgroup,
    MountInput mounts,
    HostFacts host,
    Map<String, String> annotations,
    DeviceEdits deviceEdits) {

  /** A container that asks for no CDI device. */
  public ContainerSpecInput(String containerId, String rootfs, ImageRuntimeDefaults image, ProcessInput process,
      SecurityInput security, NamespaceInput namespaces, CgroupInput cgroup, MountInput mounts, HostFacts host,
      Map<String, String> annotations) {
    this(containerId, rootfs, image, process, security, namespaces, cgroup, mounts, host, annotations,
        DeviceEdits.NONE);
  }

  /** The command line, environment, terminal and identity the config asks for. */
  public record ProcessInput(List<String> command, List<String> args, List<Map.Entry<String, String>> env,
      String workingDir, boolean tty, UserResolver.Request user, String passwdFile, String groupFile,
      int oomScoreAdj) {}

  /**
   * Privilege and confinement. {@code maskedPaths}/{@code readonlyPaths} null: the defaults;
   * {@code seccompProfile} is the Localhost profile, read by the caller and checked by
   * {@link SeccompProfiles#parseLocalhost} (null for the other kinds): building a spec reads no file.
   */
  public record SecurityInput(boolean privileged, List<String> capAdd, List<String> capDrop, boolean readOnlyRootfs,
      boolean noNewPrivileges, List<String> maskedPaths, List<String> readonlyPaths, Map<String, String> sysctls,
      SeccompProfiles.Kind seccomp, JsonNode seccompProfile, List<Devices.HostDevice> devices) {}

  /** Namespace modes and the sandbox's pinned namespaces; the pod's hostname. */
  public record NamespaceInput(Namespaces.Mode network, Namespaces.Mode ipc, Namespaces.Mode pid,
      Namespaces.SandboxPaths paths, String hostname) {}

  /** The cgroup manager, the pod's cgroup parent and the container's resources (null: none set). */
  public record CgroupInput(CgroupPaths.Driver driver, String parent, RuntimeSpec.Resources resources) {}

  /** Sandbox files, the termination-message file and the config's bind mounts. */
  public record MountInput(Mounts.SandboxFiles sandbox, String terminationMessageHost, String terminationMessagePath,
      List<Mounts.Bind> binds) {}

  /**
   * What this host allows: whether oom_score_adj may go below the daemon's own value, which
   * capabilities the daemon's bounding set holds (bit n: capability n), since a container can
   * get no capability its runtime lacks, and whether its cgroups are the unified (v2) hierarchy.
   */
  public record HostFacts(int daemonOomScoreAdj, boolean canLowerOomScoreAdj, long capabilityBounding,
      boolean unifiedCgroups) {
    /** A cgroup v1 host. */
    public HostFacts(int daemonOomScoreAdj, boolean canLowerOomScoreAdj, long capabilityBounding) {
      this(daemonOomScoreAdj, canLowerOomScoreAdj, capabilityBounding, false);
    }

    /** A cgroup v1 host whose daemon holds every capability. */
    public HostFacts(int daemonOomScoreAdj, boolean canLowerOomScoreAdj) {
      this(daemonOomScoreAdj, canLowerOomScoreAdj, -1L);
    }
  }
}
