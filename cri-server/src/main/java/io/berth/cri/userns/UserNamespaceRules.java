package io.berth.cri.userns;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.IDMapping;
import io.berth.proto.runtime.v1.NamespaceMode;
import io.berth.proto.runtime.v1.NamespaceOption;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.UserNamespace;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What berth accepts of {@code userns_options}, checked before anything is made: mode NODE (the
 * host's, no maps) or POD with the kubelet's maps; in a pod of its own, the host's network, PID
 * and IPC namespaces are refused (the kubelet refuses {@code hostUsers: false} with each of them:
 * namespaces the host's user namespace owns give the container's root nothing it could use, and
 * runc could not mount /proc or /sys for them); a container asks for its pod's user namespace or
 * says nothing. Each refusal is INVALID_ARGUMENT naming the field.
 */
public final class UserNamespaceRules {
  /** The kernel reads at most 340 lines of a uid_map or gid_map (since 4.15). */
  static final int MAX_RANGES = 340;
  /** ... in one write of less than a page. */
  static final int MAX_MAP_BYTES = 4096;
  private static final long ID_SPACE = 1L << 32;
  private static final String POD_FIELD = "config.linux.security_context.namespace_options.userns_options";

  private UserNamespaceRules() {}

  /** The pod's own user namespace, or empty for the host's; refuses what the kernel or the pod could not use. */
  public static Optional<PodUserNamespace> pod(PodSandboxConfig config) {
    NamespaceOption options = config.getLinux().getSecurityContext().getNamespaceOptions();
    if (!options.hasUsernsOptions()) {
      return Optional.empty();
    }
    UserNamespace userns = options.getUsernsOptions();
    switch (userns.getMode()) {
      case NODE -> {
        if (userns.getUidsCount() > 0 || userns.getGidsCount() > 0) {
          throw new InvalidArgumentException(POD_FIELD + ": mode NODE (the host's user namespace) takes no uid or "
              + "gid mappings");
        }
        return Optional.empty();
      }
      case POD -> { }
      default -> throw new InvalidArgumentException(POD_FIELD + ".mode " + userns.getMode()
          + " is not supported: a pod uses the host's user namespace (NODE) or its own (POD)");
    }
    requireOwn(options.getNetwork(), "network", "hostNetwork");
    requireOwn(options.getPid(), "pid", "hostPID");
    requireOwn(options.getIpc(), "ipc", "hostIPC");
    var pod = PodUserNamespace.of(options).orElseThrow();
    ranges(POD_FIELD + ".uids", pod.uids());
    ranges(POD_FIELD + ".gids", pod.gids());
    if (pod.hostUid(0) < 0 || pod.hostGid(0) < 0) {
      throw new InvalidArgumentException(POD_FIELD + ": container " + (pod.hostUid(0) < 0 ? "uid" : "gid")
          + " 0 is not mapped (the container's root must map to a host id)");
    }
    return Optional.of(pod);
  }

  private static void requireOwn(NamespaceMode mode, String namespace, String kubelet) {
    if (mode == NamespaceMode.NODE) {
      throw new InvalidArgumentException("config.linux.security_context.namespace_options." + namespace
          + " is NODE: a pod in its own user namespace (userns_options mode POD) cannot use the host's " + namespace
          + " namespace (the kubelet refuses hostUsers: false with " + kubelet + ")");
    }
  }

  /** Each range non-empty and inside 32 bits, no two overlapping on either side, at most the kernel's 340. */
  static void ranges(String field, List<PodUserNamespace.Range> ranges) {
    if (ranges.isEmpty()) {
      throw new InvalidArgumentException(field + " is empty: a pod's own user namespace needs its mappings");
    }
    if (ranges.size() > MAX_RANGES) {
      throw new InvalidArgumentException(field + " has " + ranges.size() + " mappings; the kernel takes at most "
          + MAX_RANGES);
    }
    for (int i = 0; i < ranges.size(); i++) {
      var range = ranges.get(i);
      String at = field + "[" + i + "] (container_id " + range.containerId() + ", host_id " + range.hostId()
          + ", length " + range.length() + ")";
      if (range.length() == 0) {
        throw new InvalidArgumentException(at + ": length is 0");
      }
      if (range.containerId() + range.length() > ID_SPACE || range.hostId() + range.length() > ID_SPACE) {
        throw new InvalidArgumentException(at + ": the range passes 4294967295, the last 32-bit id");
      }
    }
    int bytes = PodUserNamespace.mapText(ranges).length();
    if (bytes >= MAX_MAP_BYTES) {
      throw new InvalidArgumentException(field + " is " + bytes + " bytes as a map; the kernel takes one write of "
          + "less than " + MAX_MAP_BYTES + " bytes");
    }
    overlap(field, ranges, "container_id", PodUserNamespace.Range::containerId);
    overlap(field, ranges, "host_id", PodUserNamespace.Range::hostId);
  }

  private interface Start {
    long of(PodUserNamespace.Range range);
  }

  private static void overlap(String field, List<PodUserNamespace.Range> ranges, String side, Start start) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < ranges.size(); i++) {
      order.add(i);
    }
    order.sort(Comparator.comparingLong(i -> start.of(ranges.get(i))));
    for (int k = 1; k < order.size(); k++) {
      var before = ranges.get(order.get(k - 1));
      var after = ranges.get(order.get(k));
      if (start.of(before) + before.length() > start.of(after)) {
        int first = Math.min(order.get(k - 1), order.get(k));
        int second = Math.max(order.get(k - 1), order.get(k));
        throw new InvalidArgumentException(field + "[" + first + "] and [" + second + "] overlap in " + side
            + " (the kernel refuses a map whose ranges overlap)");
      }
    }
  }

  /**
   * A container joins its pod's user namespace: it may repeat the pod's {@code userns_options} (the
   * kubelet does) or leave them out (crictl); anything else is refused, as containerd does.
   */
  public static void container(ContainerConfig config, PodSandboxConfig pod) {
    NamespaceOption options = config.getLinux().getSecurityContext().getNamespaceOptions();
    if (!options.hasUsernsOptions()) {
      return;
    }
    UserNamespace asked = options.getUsernsOptions();
    UserNamespace podUserns = effective(pod.getLinux().getSecurityContext().getNamespaceOptions());
    if (!asked.equals(podUserns)) {
      throw new InvalidArgumentException("config.linux.security_context.namespace_options.userns_options ("
          + describe(asked) + ") differs from its pod's (" + describe(podUserns)
          + "): a container joins its pod's user namespace");
    }
  }

  /** The pod's user namespace options, with no options meaning the host's. */
  private static UserNamespace effective(NamespaceOption options) {
    return options.hasUsernsOptions() ? options.getUsernsOptions()
        : UserNamespace.newBuilder().setMode(NamespaceMode.NODE).build();
  }

  private static String describe(UserNamespace userns) {
    if (userns.getMode() != NamespaceMode.POD) {
      return "mode " + userns.getMode();
    }
    return "mode POD, uids " + ranges(userns.getUidsList()) + ", gids " + ranges(userns.getGidsList());
  }

  /** container:host:length of the first three mappings (a request may carry 340). */
  private static String ranges(List<IDMapping> mappings) {
    StringBuilder text = new StringBuilder();
    for (IDMapping m : mappings.subList(0, Math.min(3, mappings.size()))) {
      text.append(text.isEmpty() ? "" : " ").append(Integer.toUnsignedString(m.getContainerId())).append(':')
          .append(Integer.toUnsignedString(m.getHostId())).append(':').append(Integer.toUnsignedString(m.getLength()));
    }
    if (mappings.size() > 3) {
      text.append(" and ").append(mappings.size() - 3).append(" more");
    }
    return text.isEmpty() ? "none" : text.toString();
  }
}
