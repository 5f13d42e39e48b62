package io.berth.cri.doctor;

import io.berth.cri.config.BerthConfig.CgroupDriver;

/**
 * The configured cgroup driver against the host: the systemd driver hands every pod and
 * container to systemd (slices and scopes over D-Bus), so systemd must be PID 1 and running
 * (/run/systemd/system exists); the cgroupfs driver beside a running systemd means two managers
 * of one tree, which the kubelet's documentation warns against. The kubelet's cgroupDriver must
 * say the same.
 */
final class CgroupDriverCheck implements Check {
  private final Host host;
  private final CgroupDriver driver;

  CgroupDriverCheck(Host host, CgroupDriver driver) {
    this.host = host;
    this.driver = driver;
  }

  @Override
  public String name() {
    return "cgroup-driver";
  }

  @Override
  public Result run() {
    String init = host.read("/proc/1/comm").map(String::strip).orElse("unknown");
    boolean systemdRuns = init.equals("systemd") && host.exists("/run/systemd/system");
    if (driver == CgroupDriver.SYSTEMD) {
      if (!systemdRuns) {
        String why = !init.equals("systemd") ? "PID 1 is '" + init + "', not systemd"
            : "/run/systemd/system is missing (systemd is not running as the service manager)";
        return Result.fail(name(), "runtime.cgroup_driver = \"systemd\" but " + why
                + ": no pod cgroup can be made",
            "set runtime.cgroup_driver = \"cgroupfs\" (and the kubelet's cgroupDriver: cgroupfs), or run on systemd");
      }
      return Result.pass(name(), "systemd (systemd is PID 1); the kubelet needs cgroupDriver: systemd");
    }
    if (systemdRuns) {
      return Result.warn(name(), "runtime.cgroup_driver = \"cgroupfs\" while systemd manages cgroups: two "
              + "managers of one tree",
          "set runtime.cgroup_driver = \"systemd\" and the kubelet's cgroupDriver: systemd");
    }
    return Result.pass(name(), "cgroupfs (PID 1 is '" + init + "', no systemd); the kubelet needs cgroupDriver: "
        + "cgroupfs");
  }
}
