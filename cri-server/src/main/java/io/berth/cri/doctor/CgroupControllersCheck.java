package io.berth.cri.doctor;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The controllers pods are limited with: cpu, memory and pids are required (the kubelet's
 * requests and limits), cpuset, io (blkio on v1) and hugetlb are wanted. A controller the kernel
 * disabled (cgroup_disable=) is named as such; on a hybrid layout a controller that only the
 * cgroup2 tree holds is not reachable by runtimes in v1 mode, so its limits go unenforced.
 */
final class CgroupControllersCheck implements Check {
  private static final List<String> REQUIRED = List.of("cpu", "memory", "pids");
  private final CgroupLayout layout;

  CgroupControllersCheck(CgroupLayout layout) {
    this.layout = layout;
  }

  @Override
  public String name() {
    return "cgroup-controllers";
  }

  @Override
  public Result run() {
    if (layout.mode() == CgroupLayout.Mode.NONE) {
      return Result.fail(name(), "no cgroup hierarchy is mounted", "see cgroup-version");
    }
    boolean v2 = layout.mode() == CgroupLayout.Mode.UNIFIED;
    List<String> wanted = List.of("cpuset", v2 ? "io" : "blkio", "hugetlb");
    Set<String> present = v2 ? new TreeSet<>(layout.unifiedControllers()) : layout.v1Controllers();
    String where = v2 ? "in " + CgroupLayout.CGROUP_ROOT + "/cgroup.controllers" : "in v1 hierarchies";
    List<String> missingRequired = REQUIRED.stream().filter(c -> !layout.has(c)).toList();
    if (!missingRequired.isEmpty()) {
      List<String> disabled = missingRequired.stream().filter(c -> !layout.kernelEnabled(c)).toList();
      String fix = disabled.isEmpty()
          ? (v2 ? "enable them in the kernel config (CONFIG_MEMCG, CONFIG_CGROUP_PIDS)"
              : "mount them: mount -t cgroup -o " + missingRequired.get(0) + " cgroup /sys/fs/cgroup/"
                  + missingRequired.get(0))
          : "drop cgroup_disable=" + String.join(",", disabled) + " from the kernel command line";
      return Result.fail(name(), "missing " + String.join(", ", missingRequired)
          + (disabled.isEmpty() ? "" : " (disabled by the kernel: " + String.join(", ", disabled) + ")")
          + "; mounted " + where + ": " + String.join(" ", present), fix);
    }
    List<String> missingWanted = wanted.stream().filter(c -> !layout.has(c)).toList();
    if (missingWanted.isEmpty()) {
      return Result.pass(name(), String.join(" ", present) + " " + where);
    }
    List<String> problems = new ArrayList<>();
    Set<String> stranded = layout.hybridStrandedControllers();
    List<String> onlyV2 = missingWanted.stream().filter(stranded::contains).toList();
    List<String> absent = missingWanted.stream().filter(c -> !stranded.contains(c)).toList();
    if (!onlyV2.isEmpty()) {
      problems.add(String.join(", ", onlyV2) + " only in the cgroup2 tree " + layout.unifiedMount()
          + ", where runtimes in v1 mode do not set limits");
    }
    if (!absent.isEmpty()) {
      problems.add("no " + String.join(", ", absent));
    }
    String fix = !onlyV2.isEmpty()
        ? "bind " + String.join(",", onlyV2) + " in a v1 hierarchy (mount -t cgroup -o " + String.join(",", onlyV2)
            + " cgroup /sys/fs/cgroup/" + String.join(",", onlyV2) + ") or boot pure cgroup v2"
        : "enable " + String.join(", ", absent) + " in the kernel (their limits are ignored until then)";
    return Result.warn(name(), String.join("; ", problems) + "; mounted " + where + ": " + String.join(" ", present),
        fix);
  }
}
