package io.berth.cri.cdi;

import java.util.List;
import java.util.Map;

/**
 * A CDI (Container Device Interface) spec file as written in JSON or YAML: records named and
 * shaped as the specification's fields. Plain data; {@link CdiSpecReader} reads and checks it.
 */
public record CdiSpec(String cdiVersion, String kind, Map<String, String> annotations, List<Device> devices,
    ContainerEdits containerEdits) {

  /** One device of the spec's kind: its name and its own edits. */
  public record Device(String name, Map<String, String> annotations, ContainerEdits containerEdits) {}

  /** What injecting a device changes in a container. */
  public record ContainerEdits(List<String> env, List<DeviceNode> deviceNodes, List<Mount> mounts, List<Hook> hooks,
      List<Long> additionalGids) {
    boolean isEmpty() {
      return empty(env) && empty(deviceNodes) && empty(mounts) && empty(hooks) && empty(additionalGids);
    }

    private static boolean empty(List<?> list) {
      return list == null || list.isEmpty();
    }
  }

  /**
   * A device node at {@code path} in the container, made from {@code hostPath} (default: the
   * same path); type and numbers, when left out, come from the host device.
   */
  public record DeviceNode(String path, String hostPath, String type, Long major, Long minor, Integer fileMode,
      String permissions, Long uid, Long gid) {}

  /** A mount of a host path. */
  public record Mount(String hostPath, String containerPath, String type, List<String> options) {}

  /** A hook, by the OCI name of the point it runs at. */
  public record Hook(String hookName, String path, List<String> args, List<String> env, Integer timeout) {}
}
