package io.berth.cri.doctor;

import java.util.Optional;

/**
 * The kernel release: below 5.0 overlayfs lacks features (metacopy came with 4.19, volatile with
 * 5.10) and cgroup v2 lacks cpuset (5.0) and freezer (5.2), so an older kernel is a warning; one
 * whose release cannot be read is too.
 */
final class KernelCheck implements Check {
  static final String OSRELEASE = "/proc/sys/kernel/osrelease";
  private final Host host;

  KernelCheck(Host host) {
    this.host = host;
  }

  /** The running kernel's release, if /proc says it. */
  static Optional<DottedVersion> release(Host host) {
    return host.read(OSRELEASE).flatMap(DottedVersion::kernel);
  }

  @Override
  public String name() {
    return "kernel";
  }

  @Override
  public Result run() {
    Optional<DottedVersion> release = release(host);
    if (release.isEmpty()) {
      return Result.warn(name(), "cannot read " + OSRELEASE + " (is /proc mounted?)", "mount proc at /proc");
    }
    DottedVersion v = release.get();
    if (v.major() < 5) {
      return Result.warn(name(), "Linux " + v.text().strip() + " is older than 5.0: overlayfs and cgroup v2 lack "
              + "features containers rely on (idmapped mounts need 5.12)",
          "upgrade to a 5.x or later kernel (5.12 or later for idmapped mounts)");
    }
    return Result.pass(name(), "Linux " + v.text().strip());
  }
}
