package io.berth.cri.rules;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.proto.runtime.v1.HugepageLimit;
import io.berth.proto.runtime.v1.LinuxContainerResources;
import java.util.BitSet;
import java.util.regex.Pattern;

/**
 * Resource settings (of a container, its update, or a pod) the kernel would refuse or that
 * would kill the container before it runs, refused up front instead of failing later inside
 * runc as INTERNAL. Zero means "not set" in every field, as in the CRI.
 */
public final class ResourceRules {
  /**
   * Below this, runc's own init (a Go program charged to the container's memory cgroup) is
   * OOM-killed before the container's process starts; Docker refuses the same minimum.
   */
  public static final long MIN_MEMORY = 6L * 1024 * 1024;
  private static final long MIN_QUOTA_US = 1_000; // the kernel's minimum CFS quota and period: 1 ms
  private static final long MAX_PERIOD_US = 1_000_000;
  private static final long MIN_SHARES = 2;
  private static final long MAX_SHARES = 262_144;
  private static final Pattern PAGE_SIZE = Pattern.compile("[1-9][0-9]{0,4}[KMG]B");
  // hugetlb.2MB.max: cgroup v2 file names carry upper-case page sizes after the controller.
  private static final Pattern CGROUP_FILE = Pattern.compile("[a-z][a-z0-9_]*\\.[A-Za-z0-9_.]+");

  private ResourceRules() {}

  /** A container's resources; {@code field} names the message part in refusals, e.g. {@code linux.resources}. */
  public static void validate(String field, LinuxContainerResources resources, HostCpus host) {
    validate(field, resources, host, true);
  }

  /**
   * A pod's resources or overhead: the same bounds but the memory minimum, which is a
   * container's (berth applies no pod-level value; a RuntimeClass overhead of 5 MiB is fine).
   */
  public static void validatePod(String field, LinuxContainerResources resources, HostCpus host) {
    validate(field, resources, host, false);
  }

  private static void validate(String field, LinuxContainerResources resources, HostCpus host, boolean container) {
    long period = resources.getCpuPeriod();
    if (period != 0 && (period < MIN_QUOTA_US || period > MAX_PERIOD_US)) {
      throw refuse(field + ".cpu_period", period, "must be between " + MIN_QUOTA_US + " and " + MAX_PERIOD_US + " µs");
    }
    long quota = resources.getCpuQuota();
    if (quota != 0 && quota != -1 && quota < MIN_QUOTA_US) {
      throw refuse(field + ".cpu_quota", quota, "must be -1 (no limit) or at least " + MIN_QUOTA_US + " µs");
    }
    long shares = resources.getCpuShares();
    if (shares != 0 && (shares < MIN_SHARES || shares > MAX_SHARES)) {
      throw refuse(field + ".cpu_shares", shares, "must be between " + MIN_SHARES + " and " + MAX_SHARES);
    }
    long memory = resources.getMemoryLimitInBytes();
    if (memory < 0 || container && memory != 0 && memory < MIN_MEMORY) {
      throw refuse(field + ".memory_limit_in_bytes", memory, "is below the " + MIN_MEMORY
          + " bytes a container needs to start (runc's init alone uses several MiB)");
    }
    long swap = resources.getMemorySwapLimitInBytes();
    if (swap != 0 && swap != -1 && (swap < 0 || memory != 0 && swap < memory)) {
      throw refuse(field + ".memory_swap_limit_in_bytes", swap, "must be -1 (no limit) or at least the memory limit");
    }
    long oomScoreAdj = resources.getOomScoreAdj();
    if (oomScoreAdj < -1000 || oomScoreAdj > 1000) {
      throw refuse(field + ".oom_score_adj", oomScoreAdj, "must be between -1000 and 1000");
    }
    cpuset(field + ".cpuset_cpus", resources.getCpusetCpus(), host.cpus(), "CPUs");
    cpuset(field + ".cpuset_mems", resources.getCpusetMems(), host.mems(), "memory nodes");
    for (HugepageLimit limit : resources.getHugepageLimitsList()) {
      if (!PAGE_SIZE.matcher(limit.getPageSize()).matches()) {
        throw FieldRules.invalid(field + ".hugepage_limits.page_size", limit.getPageSize(),
            "is not a page size such as 2MB or 1GB");
      }
    }
    for (var entry : resources.getUnifiedMap().entrySet()) {
      // A key is a file name in the container's cgroup: '/' or '..' would reach other cgroups.
      if (!CGROUP_FILE.matcher(entry.getKey()).matches() || entry.getKey().contains("..")) {
        throw FieldRules.invalid(field + ".unified", entry.getKey(), "is not a cgroup file name such as memory.high");
      }
      FieldRules.text(field + ".unified[" + entry.getKey() + "]", entry.getValue(), 4096);
    }
  }

  private static void cpuset(String field, String list, BitSet online, String what) {
    if (list.isEmpty()) {
      return;
    }
    BitSet asked;
    try {
      asked = HostCpus.parse(list);
    } catch (IllegalArgumentException e) {
      throw FieldRules.invalid(field, list, "is not a list such as 0-3,6 (" + e.getMessage() + ")");
    }
    BitSet outside = (BitSet) asked.clone();
    outside.andNot(online);
    if (!outside.isEmpty()) {
      throw FieldRules.invalid(field, list, "names " + what + " this node does not have (online: "
          + HostCpus.format(online) + ")");
    }
  }

  private static InvalidArgumentException refuse(String field, long value, String why) {
    return new InvalidArgumentException(field + " " + value + " " + why);
  }
}
