package io.berth.cri.doctor;

/**
 * Cgroup layouts written into a {@link FakeHost}: this build machine's hybrid one (v1 hierarchies,
 * cgroup2 at /sys/fs/cgroup/unified holding the hugetlb controller no v1 hierarchy binds), a
 * pure v2 one, and a legacy v1 one.
 */
final class Layouts {
  static final String PROC_CGROUPS = """
      #subsys_name\thierarchy\tnum_cgroups\tenabled
      cpuset\t3\t8\t1
      cpu\t1\t8\t1
      cpuacct\t2\t8\t1
      blkio\t7\t8\t1
      memory\t4\t301\t1
      devices\t5\t8\t1
      freezer\t6\t8\t1
      net_cls\t0\t8\t1
      perf_event\t0\t8\t1
      net_prio\t0\t8\t1
      hugetlb\t0\t8\t1
      pids\t8\t8\t1
      """;

  static final String HYBRID_MOUNTINFO = """
      22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw
      30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
      31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
      32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
      33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
      34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
      35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
      36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
      37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
      38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
      39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
      40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
      """;

  static final String UNIFIED_MOUNTINFO = """
      22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw
      30 22 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
      """;

  private Layouts() {}

  /** This machine's layout: hybrid, with hugetlb only in the cgroup2 tree. */
  static FakeHost hybrid(FakeHost host) {
    return host.file("/proc/self/mountinfo", HYBRID_MOUNTINFO)
        .file("/proc/cgroups", PROC_CGROUPS)
        .file("/sys/fs/cgroup/unified/cgroup.controllers", "hugetlb\n");
  }

  /** Hybrid with every controller bound in v1: the cgroup2 tree holds none, which crun accepts. */
  static FakeHost hybridWithHugetlbInV1(FakeHost host) {
    return host.file("/proc/self/mountinfo", HYBRID_MOUNTINFO
            + "41 30 0:38 / /sys/fs/cgroup/hugetlb rw,relatime - cgroup cgroup rw,hugetlb\n")
        .file("/proc/cgroups", PROC_CGROUPS)
        .file("/sys/fs/cgroup/unified/cgroup.controllers", "");
  }

  static FakeHost unified(FakeHost host) {
    return host.file("/proc/self/mountinfo", UNIFIED_MOUNTINFO)
        .file("/proc/cgroups", PROC_CGROUPS.replaceAll("\\t\\d+\\t", "\t0\t"))
        .file("/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
  }

  /** v1 only: the hybrid layout without its cgroup2 tree. */
  static FakeHost legacy(FakeHost host) {
    return host.file("/proc/self/mountinfo", HYBRID_MOUNTINFO.replaceAll("(?m)^40 .*\\n", ""))
        .file("/proc/cgroups", PROC_CGROUPS);
  }
}
