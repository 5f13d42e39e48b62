package io.berth.oci.spec;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The process's capabilities: the container runtimes' default set, with the config's
 * {@code add} and {@code drop} (either may be {@code ALL}); privileged containers get every
 * capability. Names are normalised to {@code CAP_*}.
 */
public final class CapabilitySets {
  /** What containerd and CRI-O grant by default. */
  public static final List<String> DEFAULT = List.of(
      "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
      "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
      "CAP_AUDIT_WRITE");

  /** Every capability the kernel of these machines knows (6.x). */
  public static final List<String> ALL = List.of(
      "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
      "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
      "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
      "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
      "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
      "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
      "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE");

  private CapabilitySets() {}

  /**
   * The capability sets. Root gets the set as bounding, effective and permitted; a non-root
   * user keeps it only in the bounding set (the kernel clears the others on exec anyway).
   */
  public static RuntimeSpec.Capabilities of(boolean privileged, List<String> add, List<String> drop, boolean root) {
    Set<String> caps = new LinkedHashSet<>(privileged ? ALL : DEFAULT);
    if (!privileged) {
      List<String> adds = normalise(add);
      List<String> drops = normalise(drop);
      if (adds.contains("CAP_ALL")) {
        caps.addAll(ALL);
      }
      if (drops.contains("CAP_ALL")) {
        caps.clear();
      }
      for (String cap : adds) {
        if (!cap.equals("CAP_ALL")) {
          caps.add(cap);
        }
      }
      caps.removeAll(drops);
    }
    List<String> set = new ArrayList<>(caps);
    return new RuntimeSpec.Capabilities(set, root ? set : List.of(), List.of(), root ? set : List.of(), List.of());
  }

  private static List<String> normalise(List<String> names) {
    List<String> out = new ArrayList<>();
    for (String name : names) {
      String upper = name.toUpperCase(Locale.ROOT);
      String cap = upper.startsWith("CAP_") ? upper : "CAP_" + upper;
      if (!cap.equals("CAP_ALL") && !ALL.contains(cap)) {
        throw new SpecException("unknown capability '" + name + "'");
      }
      out.add(cap);
    }
    return out;
  }

  /**
   * {@code caps} without the capabilities missing from {@code bounding} (bit n: the n-th of
   * {@link #ALL}): runc fails a container asking for one ("unable to apply caps"), so a privileged
   * container gets everything its runtime has, as with containerd.
   */
  public static RuntimeSpec.Capabilities restrict(RuntimeSpec.Capabilities caps, long bounding) {
    if (caps == null || bounding == -1L) {
      return caps;
    }
    UnaryOperator<List<String>> keep = list -> list == null ? null
        : list.stream().filter(c -> {
          int bit = ALL.indexOf(c);
          return bit < 0 || (bounding & (1L << bit)) != 0;
        }).toList();
    return new RuntimeSpec.Capabilities(keep.apply(caps.bounding()), keep.apply(caps.effective()),
        keep.apply(caps.inheritable()), keep.apply(caps.permitted()), keep.apply(caps.ambient()));
  }
}
