package io.berth.oci.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * The OCI runtime specification (config.json) as far as berth writes it: records named and
 * shaped as the spec's JSON, absent fields omitted. Built by {@link SpecBuilder}, read by runc
 * and crun.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RuntimeSpec(
    String ociVersion,
    Process process,
    Root root,
    String hostname,
    List<Mount> mounts,
    Hooks hooks,
    Linux linux,
    Map<String, String> annotations) {

  public static final String OCI_VERSION = "1.1.0";

  /** A spec without hooks. */
  public RuntimeSpec(String ociVersion, Process process, Root root, String hostname, List<Mount> mounts, Linux linux,
      Map<String, String> annotations) {
    this(ociVersion, process, root, hostname, mounts, null, linux, annotations);
  }

  /** The container's first process. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Process(
      boolean terminal,
      User user,
      List<String> args,
      List<String> env,
      String cwd,
      Capabilities capabilities,
      List<Rlimit> rlimits,
      boolean noNewPrivileges,
      Integer oomScoreAdj) {}

  /** Numeric identity of the process. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record User(long uid, long gid, List<Long> additionalGids) {}

  /** The five capability sets. */
  public record Capabilities(List<String> bounding, List<String> effective, List<String> inheritable,
      List<String> permitted, List<String> ambient) {}

  /** One resource limit. */
  public record Rlimit(String type, long hard, long soft) {}

  /** The root filesystem. */
  public record Root(String path, boolean readonly) {}

  /** One mount in the container. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Mount(String destination, String type, String source, List<String> options) {}

  /**
   * Programs the runtime runs at points of the container's life (the CDI devices' hooks); each
   * list null when empty.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Hooks(List<Hook> prestart, List<Hook> createRuntime, List<Hook> createContainer,
      List<Hook> startContainer, List<Hook> poststart, List<Hook> poststop) {}

  /** One hook: the program, its argv (argv[0] included) and environment, a timeout in seconds. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Hook(String path, List<String> args, List<String> env, Integer timeout) {}

  /** Linux-specific settings; {@code seccomp} is a {@link Seccomp} or a profile file's JSON. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Linux(
      List<Namespace> namespaces,
      String cgroupsPath,
      Resources resources,
      Map<String, String> sysctl,
      List<String> maskedPaths,
      List<String> readonlyPaths,
      String rootfsPropagation,
      Object seccomp,
      List<Devices.Node> devices,
      List<IdMapping> uidMappings,
      List<IdMapping> gidMappings) {
    /** Settings without ID mappings (the host's user namespace). */
    public Linux(List<Namespace> namespaces, String cgroupsPath, Resources resources, Map<String, String> sysctl,
        List<String> maskedPaths, List<String> readonlyPaths, String rootfsPropagation, Object seccomp,
        List<Devices.Node> devices) {
      this(namespaces, cgroupsPath, resources, sysctl, maskedPaths, readonlyPaths, rootfsPropagation, seccomp,
          devices, null, null);
    }
  }

  /** One range of a user namespace's uid or gid map: container IDs from containerID map to host IDs from hostID. */
  public record IdMapping(long containerID, long hostID, long size) {}

  /** A namespace to create ({@code path} null) or to join. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Namespace(String type, String path) {}

  /** Cgroup resource settings. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Resources(Memory memory, Cpu cpu, Pids pids, List<HugepageLimit> hugepageLimits,
      Map<String, String> unified, List<Devices.Rule> devices) {
    /** The same limits with the devices cgroup rules set. */
    public Resources withDevices(List<Devices.Rule> rules) {
      return new Resources(memory, cpu, pids, hugepageLimits, unified, rules);
    }
  }

  /** Memory limits in bytes. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Memory(Long limit, Long swap) {}

  /** CPU shares, CFS quota and period, and cpuset. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Cpu(Long shares, Long quota, Long period, String cpus, String mems) {}

  /** Process count limit. */
  public record Pids(long limit) {}

  /** Limit for one huge page size. */
  public record HugepageLimit(String pageSize, long limit) {}
}
