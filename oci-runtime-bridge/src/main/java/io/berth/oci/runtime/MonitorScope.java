package io.berth.oci.runtime;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where a container's conmon runs. Under the systemd cgroup driver each conmon gets a transient
 * scope of its own, {@code berth-conmon-<id>.scope} in {@code system.slice} (as CRI-O's
 * {@code crio-conmon-<id>.scope}): the monitor then belongs to no service, so neither a restart
 * nor a stop of berthd.service can reach it, its memory is not charged to berthd, and systemd
 * removes the scope when conmon exits. {@code systemd-run --scope} makes the scope and then execs
 * conmon in it, so conmon keeps the PID, descriptors and environment berthd gave it. Without
 * systemd conmon stays in berthd's cgroup, as before.
 */
record MonitorScope(List<String> launcher) {
  /** The systemd manager's marker directory: present only while systemd is PID 1. */
  private static final Path SYSTEMD_RUNNING = Path.of("/run/systemd/system");
  private static final List<Path> SYSTEMD_RUN = List.of(Path.of("/usr/bin/systemd-run"), Path.of("/bin/systemd-run"));

  /** conmon runs where berthd runs. */
  static final MonitorScope NONE = new MonitorScope(List.of());

  /** A scope per conmon when {@code systemdCgroup} is set and systemd runs this host; otherwise {@link #NONE}. */
  static MonitorScope forDriver(boolean systemdCgroup) {
    if (!systemdCgroup || !Files.isDirectory(SYSTEMD_RUNNING)) {
      return NONE;
    }
    return SYSTEMD_RUN.stream().filter(Files::isExecutable).findFirst()
        .map(binary -> new MonitorScope(List.of(binary.toString())))
        .orElse(NONE);
  }

  /** The scope unit of {@code id}'s monitor. */
  static String unit(String id) {
    return "berth-conmon-" + id + ".scope";
  }

  /** The words put before conmon's own command line for container {@code id}. */
  List<String> prefix(String id) {
    if (launcher.isEmpty()) {
      return List.of();
    }
    // --collect: the unit goes away even when conmon exits non-zero; --quiet: nothing on stderr
    // (conmon.log) but errors.
    return List.of(launcher.getFirst(), "--scope", "--quiet", "--collect", "--slice=system.slice",
        "--unit=" + unit(id), "--description=berth conmon for container " + id, "--");
  }
}
