package io.berth.cri.stats;

/**
 * A cgroup's block I/O and OOM-kill counters, for the cAdvisor metrics: bytes and operations read
 * and written over all devices ({@code io.stat}, or v1's {@code blkio.throttle.io_serviced} and
 * {@code io_service_bytes}), and OOM kills ({@code memory.events}' {@code oom_kill}, or v1's
 * {@code memory.oom_control}).
 */
public record CgroupCounters(long readBytes, long writeBytes, long reads, long writes, long oomKills) {}
