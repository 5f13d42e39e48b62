package io.berth.cri.doctor;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * How cgroups are mounted, read as runc and crun decide it: the filesystem at /sys/fs/cgroup
 * (cgroup2: unified; tmpfs with cgroup2 at /sys/fs/cgroup/unified: hybrid; tmpfs with v1
 * hierarchies only: legacy), the controller each v1 hierarchy binds (from /proc/self/mountinfo's
 * super options), the controllers the cgroup2 tree holds (its cgroup.controllers: a controller
 * is there exactly when no v1 hierarchy binds it) and which controllers the kernel enabled
 * (/proc/cgroups).
 */
public record CgroupLayout(Mode mode, Map<String, String> v1Mounts, String unifiedMount,
    Set<String> unifiedControllers, Map<String, Boolean> kernelControllers) {
  public static final String CGROUP_ROOT = "/sys/fs/cgroup";
  public static final String HYBRID_UNIFIED = "/sys/fs/cgroup/unified";
  /** The v1 controllers, for a kernel whose /proc/cgroups cannot be read. */
  private static final Set<String> KNOWN_V1 = Set.of("cpu", "cpuacct", "cpuset", "memory", "devices", "freezer",
      "net_cls", "net_prio", "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc");

  /** The layouts a runtime tells apart. */
  public enum Mode {
    UNIFIED,
    HYBRID,
    LEGACY,
    NONE
  }

  public CgroupLayout {
    v1Mounts = Map.copyOf(v1Mounts);
    unifiedControllers = Set.copyOf(unifiedControllers);
    kernelControllers = Map.copyOf(kernelControllers);
  }

  /** One line of /proc/self/mountinfo: mount point, filesystem type and super options. */
  record Mount(String point, String type, List<String> superOptions) {}

  public static CgroupLayout read(Host host) {
    Map<String, Boolean> kernel = kernelControllers(host.read("/proc/cgroups").orElse(""));
    Set<String> v1Names = new TreeSet<>(KNOWN_V1);
    v1Names.addAll(kernel.keySet());
    Map<String, Mount> byPoint = new LinkedHashMap<>();
    for (String line : host.read("/proc/self/mountinfo").orElse("").split("\n")) {
      Mount mount = parseMountinfo(line);
      if (mount != null) {
        byPoint.remove(mount.point()); // the later mount covers the earlier one
        byPoint.put(mount.point(), mount);
      }
    }
    Map<String, String> v1 = new LinkedHashMap<>();
    for (Mount mount : byPoint.values()) {
      if (mount.type().equals("cgroup")) {
        for (String option : mount.superOptions()) {
          if (v1Names.contains(option)) {
            v1.put(option, mount.point());
          }
        }
      }
    }
    Mount top = byPoint.get(CGROUP_ROOT);
    Mount unified = byPoint.get(HYBRID_UNIFIED);
    Mode mode;
    String unifiedMount = null;
    if (top != null && top.type().equals("cgroup2")) {
      mode = Mode.UNIFIED;
      unifiedMount = CGROUP_ROOT;
    } else if (unified != null && unified.type().equals("cgroup2")) {
      mode = Mode.HYBRID;
      unifiedMount = HYBRID_UNIFIED;
    } else if (!v1.isEmpty()) {
      mode = Mode.LEGACY;
    } else {
      mode = Mode.NONE;
    }
    Set<String> controllers = new LinkedHashSet<>();
    if (unifiedMount != null) {
      for (String name : host.read(unifiedMount + "/cgroup.controllers").orElse("").strip().split("\\s+")) {
        if (!name.isEmpty()) {
          controllers.add(name);
        }
      }
    }
    return new CgroupLayout(mode, v1, unifiedMount, controllers, kernel);
  }

  /** Parses one mountinfo line; null for a line that is not one. */
  static Mount parseMountinfo(String line) {
    int separator = line.indexOf(" - ");
    if (separator < 0) {
      return null;
    }
    String[] left = line.substring(0, separator).split(" ");
    String[] right = line.substring(separator + 3).split(" ");
    if (left.length < 5 || right.length < 3) {
      return null;
    }
    return new Mount(unescape(left[4]), right[0], List.of(right[2].split(",")));
  }

  /** mountinfo escapes space, tab, newline and backslash as octal. */
  private static String unescape(String field) {
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
  }

  private static Map<String, Boolean> kernelControllers(String procCgroups) {
    Map<String, Boolean> controllers = new LinkedHashMap<>();
    for (String line : procCgroups.split("\n")) {
      String[] fields = line.strip().split("\\s+");
      if (fields.length == 4 && !fields[0].startsWith("#")) {
        controllers.put(fields[0], fields[3].equals("1"));
      }
    }
    return controllers;
  }

  /** Whether {@code controller} can be used: bound to a v1 hierarchy, or in the cgroup2 tree where that is the one. */
  public boolean has(String controller) {
    return mode == Mode.UNIFIED ? unifiedControllers.contains(controller) : v1Mounts.containsKey(controller);
  }

  /** Controllers a hybrid layout leaves in its cgroup2 tree, which crun refuses and v1 users cannot reach. */
  public Set<String> hybridStrandedControllers() {
    return mode == Mode.HYBRID ? new TreeSet<>(unifiedControllers) : Set.of();
  }

  /** False when the kernel lists {@code controller} as disabled (cgroup_disable=), true otherwise. */
  public boolean kernelEnabled(String controller) {
    return kernelControllers.getOrDefault(controller, true);
  }

  /** The v1 controllers bound to a hierarchy, in name order. */
  public Set<String> v1Controllers() {
    return new TreeSet<>(v1Mounts.keySet());
  }
}
