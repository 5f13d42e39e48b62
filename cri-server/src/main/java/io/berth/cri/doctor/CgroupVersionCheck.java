package io.berth.cri.doctor;

/**
 * The cgroup version: v2 alone at /sys/fs/cgroup passes; v1, with or without a cgroup2 tree
 * beside it (hybrid), is a warning, as kubelets from 1.35 on refuse to start on cgroup v1 unless
 * told otherwise (failCgroupV1: false) and cgroup v1 is in maintenance upstream.
 */
final class CgroupVersionCheck implements Check {
  static final String V2_FIX = "boot with systemd.unified_cgroup_hierarchy=1 on the kernel command line for cgroup v2"
      + " (until then the kubelet needs failCgroupV1: false)";
  private final CgroupLayout layout;

  CgroupVersionCheck(CgroupLayout layout) {
    this.layout = layout;
  }

  @Override
  public String name() {
    return "cgroup-version";
  }

  @Override
  public Result run() {
    return switch (layout.mode()) {
      case UNIFIED -> Result.pass(name(), "cgroup v2 (unified) at " + CgroupLayout.CGROUP_ROOT);
      case HYBRID -> Result.warn(name(), "cgroup v1 (hybrid: v1 hierarchies " + String.join(",",
          layout.v1Controllers()) + " with cgroup2 at " + layout.unifiedMount() + "); kubelets from 1.35 on refuse "
          + "cgroup v1 by default", V2_FIX);
      case LEGACY -> Result.warn(name(), "cgroup v1 (legacy: v1 hierarchies " + String.join(",",
          layout.v1Controllers()) + ", no cgroup2); kubelets from 1.35 on refuse cgroup v1 by default", V2_FIX);
      case NONE -> Result.fail(name(), "no cgroup filesystem is mounted at " + CgroupLayout.CGROUP_ROOT,
          "mount -t cgroup2 cgroup2 /sys/fs/cgroup (systemd does this at boot)");
    };
  }
}
