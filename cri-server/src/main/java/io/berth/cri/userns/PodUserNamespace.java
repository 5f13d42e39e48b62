package io.berth.cri.userns;

import io.berth.oci.spec.RuntimeSpec;
import io.berth.proto.runtime.v1.IDMapping;
import io.berth.proto.runtime.v1.NamespaceMode;
import io.berth.proto.runtime.v1.NamespaceOption;
import java.util.List;
import java.util.Optional;

/**
 * A pod's own user namespace (CRI {@code userns_options} with mode POD, the kubelet's
 * {@code hostUsers: false}): its uid and gid maps, each range mapping container IDs from
 * {@code containerId} to host IDs from {@code hostId}. Checked by {@link UserNamespaceRules}.
 */
public record PodUserNamespace(List<Range> uids, List<Range> gids) {
  /** One line of a uid_map or gid_map. */
  public record Range(long containerId, long hostId, long length) {
    static Range of(IDMapping mapping) {
      return new Range(Integer.toUnsignedLong(mapping.getContainerId()), Integer.toUnsignedLong(mapping.getHostId()),
          Integer.toUnsignedLong(mapping.getLength()));
    }
  }

  public PodUserNamespace {
    uids = List.copyOf(uids);
    gids = List.copyOf(gids);
  }

  /**
   * The pod's user namespace as the options ask, or empty for the host's: no {@code userns_options}
   * at all (crictl, older kubelets) is the host's too, as containerd reads it. Unchecked.
   */
  public static Optional<PodUserNamespace> of(NamespaceOption options) {
    if (!options.hasUsernsOptions() || options.getUsernsOptions().getMode() != NamespaceMode.POD) {
      return Optional.empty();
    }
    var userns = options.getUsernsOptions();
    return Optional.of(new PodUserNamespace(userns.getUidsList().stream().map(Range::of).toList(),
        userns.getGidsList().stream().map(Range::of).toList()));
  }

  /** The host uid container uid {@code id} maps to; -1 when unmapped. */
  public long hostUid(long id) {
    return toHost(uids, id);
  }

  /** The host gid container gid {@code id} maps to; -1 when unmapped. */
  public long hostGid(long id) {
    return toHost(gids, id);
  }

  private static long toHost(List<Range> ranges, long id) {
    for (Range range : ranges) {
      if (id >= range.containerId() && id - range.containerId() < range.length()) {
        return range.hostId() + (id - range.containerId());
      }
    }
    return -1;
  }

  /** The text written to /proc/PID/uid_map (one write, one line per range, as the kernel asks). */
  public String uidMap() {
    return mapText(uids);
  }

  public String gidMap() {
    return mapText(gids);
  }

  static String mapText(List<Range> ranges) {
    StringBuilder text = new StringBuilder();
    for (Range range : ranges) {
      text.append(range.containerId()).append(' ').append(range.hostId()).append(' ').append(range.length())
          .append('\n');
    }
    return text.toString();
  }

  /** The uid maps in the OCI spec's form. */
  public List<RuntimeSpec.IdMapping> specUids() {
    return spec(uids);
  }

  public List<RuntimeSpec.IdMapping> specGids() {
    return spec(gids);
  }

  private static List<RuntimeSpec.IdMapping> spec(List<Range> ranges) {
    return ranges.stream().map(r -> new RuntimeSpec.IdMapping(r.containerId(), r.hostId(), r.length())).toList();
  }
}
