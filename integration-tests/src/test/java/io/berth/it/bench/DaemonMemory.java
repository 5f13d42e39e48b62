package io.berth.it.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Proportional (PSS) and resident (RSS) memory of a daemon and its monitor processes, in MB. */
record DaemonMemory(double daemonPss, double daemonRss, double daemonAnon, double daemonFile, int monitors,
    double monitorsPss, double monitorsRss) {
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
      daemonPss += mb(pid, "smaps_rollup", "Pss:");
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
