package io.berth.cri.stats;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a cgroup's CPU and memory counters from cgroupfs, v1 (one hierarchy per controller, as
 * on these machines) or v2 (the unified tree), chosen by what {@code root} holds. The working
 * set is usage minus inactive file pages, as the kubelet and cAdvisor define it.
 */
public final class CgroupReader {
  /** Above this, a v1 memory limit means "no limit" (the kernel's PAGE_COUNTER_MAX, rounded). */
  private static final long UNLIMITED = 1L << 62;

  private final Path root;
  private final boolean unified;

  public CgroupReader(Path root) {
    this.root = root;
    this.unified = Files.exists(root.resolve("cgroup.controllers"));
  }

  public boolean unified() {
    return unified;
  }

  /** The cgroup's counters; empty when it does not exist (not created yet, or gone). */
  public Optional<CgroupSample> read(String cgroup) {
    String relative = cgroup.startsWith("/") ? cgroup.substring(1) : cgroup;
    try {
      return Optional.of(unified ? readV2(root.resolve(relative)) : readV1(relative));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The cgroup's I/O and OOM-kill counters; empty when it does not exist. Missing files count as zero. */
  public Optional<CgroupCounters> counters(String cgroup) {
    String relative = cgroup.startsWith("/") ? cgroup.substring(1) : cgroup;
    try {
      if (unified) {
        Path dir = root.resolve(relative);
        if (!Files.isDirectory(dir)) {
          return Optional.empty();
        }
        long[] io = ioStatV2(dir.resolve("io.stat"));
        return Optional.of(new CgroupCounters(io[0], io[1], io[2], io[3],
            optionalKeyed(dir.resolve("memory.events")).getOrDefault("oom_kill", 0L)));
      }
      Path blkio = root.resolve("blkio").resolve(relative);
      Path memory = root.resolve("memory").resolve(relative);
      if (!Files.isDirectory(memory)) {
        return Optional.empty();
      }
      long[] bytes = blkioV1(blkio.resolve("blkio.throttle.io_service_bytes_recursive"));
      long[] ops = blkioV1(blkio.resolve("blkio.throttle.io_serviced_recursive"));
      return Optional.of(new CgroupCounters(bytes[0], bytes[1], ops[0], ops[1],
          optionalKeyed(memory.resolve("memory.oom_control")).getOrDefault("oom_kill", 0L)));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Sums {@code rbytes wbytes rios wios} over the devices of a v2 {@code io.stat}. */
  private static long[] ioStatV2(Path file) throws IOException {
    long[] sums = new long[4];
    if (!Files.exists(file)) {
      return sums;
    }
    for (String line : Files.readAllLines(file)) {
      for (String field : line.split(" ")) {
        int eq = field.indexOf('=');
        if (eq < 0) {
          continue;
        }
        int index = switch (field.substring(0, eq)) {
          case "rbytes" -> 0;
          case "wbytes" -> 1;
          case "rios" -> 2;
          case "wios" -> 3;
          default -> -1;
        };
        if (index >= 0) {
          sums[index] += Long.parseLong(field.substring(eq + 1));
        }
      }
    }
    return sums;
  }

  /** Sums the {@code Read} and {@code Write} lines of a v1 blkio file ({@code <major:minor> Read <n>}). */
  private static long[] blkioV1(Path file) throws IOException {
    long[] sums = new long[2];
    if (!Files.exists(file)) {
      return sums;
    }
    for (String line : Files.readAllLines(file)) {
      String[] parts = line.split(" ");
      if (parts.length == 3 && (parts[1].equals("Read") || parts[1].equals("Write"))) {
        sums[parts[1].equals("Read") ? 0 : 1] += Long.parseLong(parts[2]);
      }
    }
    return sums;
  }

  private static Map<String, Long> optionalKeyed(Path file) throws IOException {
    return Files.exists(file) ? keyed(file) : Map.of();
  }

  private CgroupSample readV1(String relative) throws IOException {
    Path memory = root.resolve("memory").resolve(relative);
    long cpu = number(root.resolve("cpuacct").resolve(relative).resolve("cpuacct.usage"));
    long usage = number(memory.resolve("memory.usage_in_bytes"));
    Map<String, Long> stat = keyed(memory.resolve("memory.stat"));
    long inactiveFile = stat.getOrDefault("total_inactive_file", 0L);
    long limit = number(memory.resolve("memory.limit_in_bytes"));
    Long swap = null;
    Path memsw = memory.resolve("memory.memsw.usage_in_bytes");
    if (Files.exists(memsw)) {
      swap = Math.max(0, number(memsw) - usage);
    }
    return new CgroupSample(cpu, usage, Math.max(0, usage - inactiveFile), stat.getOrDefault("total_rss", 0L),
        stat.getOrDefault("total_pgfault", 0L), stat.getOrDefault("total_pgmajfault", 0L),
        limit >= UNLIMITED ? null : limit, swap, processes(root.resolve("pids").resolve(relative)));
  }

  private CgroupSample readV2(Path dir) throws IOException {
    long cpu = keyed(dir.resolve("cpu.stat")).getOrDefault("usage_usec", 0L) * 1000;
    long usage = number(dir.resolve("memory.current"));
    Map<String, Long> stat = keyed(dir.resolve("memory.stat"));
    String max = Files.readString(dir.resolve("memory.max")).strip();
    Path swapFile = dir.resolve("memory.swap.current");
    Long swap = Files.exists(swapFile) ? number(swapFile) : null;
    return new CgroupSample(cpu, usage, Math.max(0, usage - stat.getOrDefault("inactive_file", 0L)),
        stat.getOrDefault("anon", 0L), stat.getOrDefault("pgfault", 0L), stat.getOrDefault("pgmajfault", 0L),
        max.equals("max") ? null : Long.parseLong(max), swap, processes(dir));
  }

  private static long number(Path file) throws IOException {
    return Long.parseLong(Files.readString(file).strip());
  }

  /**
   * Tasks in the cgroup and every cgroup below it: {@code pids.current} (a pod's processes live
   * in its containers' child cgroups), else the cgroup's own {@code cgroup.procs}.
   */
  private static int processes(Path dir) throws IOException {
    Path current = dir.resolve("pids.current");
    if (Files.exists(current)) {
      return (int) number(current);
    }
    Path procs = dir.resolve("cgroup.procs");
    if (!Files.exists(procs)) {
      return 0;
    }
    return (int) Files.readString(procs).lines().filter(l -> !l.isBlank()).count();
  }

  /** "key value" lines as a map. */
  private static Map<String, Long> keyed(Path file) throws IOException {
    Map<String, Long> values = new HashMap<>();
    for (String line : Files.readAllLines(file)) {
      int space = line.indexOf(' ');
      if (space > 0) {
        try {
          values.put(line.substring(0, space), Long.parseLong(line.substring(space + 1).strip()));
        } catch (NumberFormatException ignored) {
          // not a counter
        }
      }
    }
    return values;
  }

  /**
   * The cgroupfs path of a runtime cgroups path: a cgroupfs path is itself; systemd's
   * {@code slice:prefix:name} is {@code <slice tree>/prefix-name.scope}, the slice tree spelling
   * every parent ({@code a-b.slice} lives in {@code a.slice/a-b.slice}).
   */
  public static String path(String cgroupsPath) {
    String[] parts = cgroupsPath.split(":");
    if (parts.length != 3) {
      return cgroupsPath;
    }
    String slice = parts[0];
    StringBuilder tree = new StringBuilder();
    if (!slice.equals("-.slice")) {
      String name = slice.substring(0, slice.length() - ".slice".length());
      StringBuilder prefix = new StringBuilder();
      for (String piece : name.split("-")) {
        prefix.append(prefix.isEmpty() ? "" : "-").append(piece);
        tree.append('/').append(prefix).append(".slice");
      }
    }
    return tree + "/" + parts[1] + "-" + parts[2] + ".scope";
  }
}
