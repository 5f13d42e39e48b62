package io.berth.it.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/** Proportional (PSS) and resident (RSS) memory of a daemon and its monitor processes, in MB. */
record DaemonMemory(double daemonPss, double daemonRss, double daemonAnon, double daemonFile, int monitors,
    double monitorsPss, double monitorsRss) {
  /** A mapping's header line in smaps (address range first), as opposed to its "Key: value" lines. */
  private static final Pattern MAPPING_HEADER = Pattern.compile("^[0-9a-f]+-[0-9a-f]+ ");

  double totalPss() {
    return daemonPss + monitorsPss;
  }

  double totalRss() {
    return daemonRss + monitorsRss;
  }

  /**
   * The daemons' memory plus that of every process whose command ends with {@code monitorCommand}
   * and whose arguments mention {@code argumentMark} (conmon names berthd's state directory, a
   * containerd shim its daemon's socket), so another runtime's monitors on the host never count.
   */
  static DaemonMemory of(List<Long> daemons, String monitorCommand, String argumentMark) throws IOException {
    double daemonPss = 0;
    double daemonRss = 0;
    double daemonAnon = 0;
    double daemonFile = 0;
    for (long pid : daemons) {
      daemonPss += pssAsOnlyJvm(pid);
      daemonRss += mb(pid, "status", "VmRSS:");
      daemonAnon += mb(pid, "status", "RssAnon:");
      daemonFile += mb(pid, "status", "RssFile:");
    }
    var monitors = ProcessHandle.allProcesses()
        .filter(p -> p.info().command().orElse("").endsWith(monitorCommand))
        .filter(p -> String.join(" ", p.info().arguments().orElse(new String[0])).contains(argumentMark))
        .toList();
    double pss = 0;
    double rss = 0;
    for (ProcessHandle p : monitors) {
      pss += mb(p.pid(), "smaps_rollup", "Pss:");
      rss += mb(p.pid(), "status", "VmRSS:");
    }
    return new DaemonMemory(daemonPss, daemonRss, daemonAnon, daemonFile, monitors.size(), pss, rss);
  }

  /**
   * A process's PSS in MB as a node where it is the only JVM would see it: the pages of its own
   * Java runtime's files (libjvm.so, the modules image, the JDK's other libraries) count in full.
   * The bench itself runs in a JVM of the same JDK, which maps the same files, and PSS would
   * otherwise halve every page both touched (~8 MB of berthd's libjvm.so); on a node nothing else
   * maps berthd's runtime (the package ships its own). Any other process gets its plain PSS.
   */
  static double pssAsOnlyJvm(long pid) throws IOException {
    double pss = mb(pid, "smaps_rollup", "Pss:");
    Path exe = Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe"));
    Path javaHome = exe.getParent() == null ? null : exe.getParent().getParent();
    if (javaHome == null || !exe.getFileName().toString().equals("java")) {
      return pss;
    }
    String prefix = javaHome + "/";
    Mappings jdk = mappings(pid, path -> path.startsWith(prefix));
    return pss + jdk.rssMb() - jdk.pssMb();
  }

  /** Summed sizes (MB) of a process's mappings whose file path passes {@code file}, and their count. */
  record Mappings(int count, double rssMb, double pssMb, double anonMb) {}

  static Mappings mappings(long pid, Predicate<String> file) throws IOException {
    int count = 0;
    long rss = 0;
    long pss = 0;
    long anon = 0;
    boolean inside = false;
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps"))) {
      if (MAPPING_HEADER.matcher(line).find()) {
        // "7f12...-7f13... r--p 00000000 08:01 1234   /path": the path is all from the first '/'.
        int slash = line.indexOf('/');
        inside = slash >= 0 && file.test(line.substring(slash).strip());
        count += inside ? 1 : 0;
      } else if (inside && line.startsWith("Rss:")) {
        rss += kb(line);
      } else if (inside && line.startsWith("Pss:")) {
        pss += kb(line);
      } else if (inside && line.startsWith("Anonymous:")) {
        anon += kb(line);
      }
    }
    return new Mappings(count, rss / 1024.0, pss / 1024.0, anon / 1024.0);
  }

  private static long kb(String line) {
    return Long.parseLong(line.substring(line.indexOf(':') + 1).trim().split("\\s+")[0]);
  }

  /** The first {@code key} line of {@code /proc/<pid>/<file>} (a kB figure), in MB; 0 if absent. */
  static double mb(long pid, String file, String key) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/" + file))) {
      if (line.startsWith(key)) {
        return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]) / 1024.0;
      }
    }
    return 0;
  }
}
