package io.berth.cri.stats;

/**
 * One reading of a cgroup's counters, in the units CRI reports: nanoseconds of CPU, bytes of
 * memory. {@code memoryLimit} and {@code swapUsage} are null when unlimited or not accounted.
 */
public record CgroupSample(long cpuUsageNanos, long memoryUsage, long workingSet, long rss, long pageFaults,
    long majorPageFaults, Long memoryLimit, Long swapUsage, int processes) {}
