package io.berth.it.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/** Proportional (PSS) and resident (RSS) memory of a daemon and its monitor processes, in MB. */
record DaemonMemory(double daemonPss, double daemonRss, double daemonAnon, double daemonFile, int monitors,
    double monitorsPss, double monitorsRss) {
  /** A mapping's header line in smaps ("7f12...-7f13... r--p 00000000 08:01 1234  /path"). */
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
    if (exe.getParent() == null || !exe.getFileName().toString().equals("java")) {
      return pss;
    }
    String javaHome = exe.getParent().getParent() + "/";
    long sharedKb = 0;
    boolean inside = false;
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps"))) {
      if (MAPPING_HEADER.matcher(line).find()) {
        String[] fields = line.strip().split("\\s+");
        inside = fields.length > 5 && fields[5].startsWith(javaHome);
      } else if (inside && line.startsWith("Rss:")) {
        sharedKb += kb(line);
      } else if (inside && line.startsWith("Pss:")) {
        sharedKb -= kb(line);
      }
    }
    return pss + sharedKb / 1024.0;
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
