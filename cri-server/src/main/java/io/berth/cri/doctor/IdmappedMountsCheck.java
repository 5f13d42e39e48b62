package io.berth.cri.doctor;

import java.util.Optional;

/**
 * Idmapped mounts (mount_setattr with MOUNT_ATTR_IDMAP, Linux 5.12; idmapped layers under
 * overlayfs 5.19), what pods in a user namespace ({@code hostUsers: false}) need: berthd shows
 * their rootfs's lower dirs and every bind mount through idmapped mounts it makes itself. A kernel
 * without them is a warning, never a failure: every other pod runs, and berthd itself tries an
 * idmapped mount of its directories before its handlers report userNamespaces=true. A version
 * check: the syscall exists from that release on.
 */
final class IdmappedMountsCheck implements Check {
  private final Host host;

  IdmappedMountsCheck(Host host) {
    this.host = host;
  }

  @Override
  public String name() {
    return "idmapped-mounts";
  }

  @Override
  public Result run() {
    Optional<DottedVersion> release = KernelCheck.release(host);
    if (release.isEmpty()) {
      return Result.warn(name(), "unknown: the kernel release cannot be read", "mount proc at /proc");
    }
    DottedVersion v = release.get();
    if (v.isBelow("5.12")) {
      return Result.warn(name(), "Linux " + v.release() + " has no mount_setattr (5.12): pods with hostUsers: false "
          + "cannot get idmapped volumes", "upgrade to Linux 5.12 or later (5.19 for idmapped overlayfs)");
    }
    if (v.isBelow("5.19")) {
      return Result.warn(name(), "Linux " + v.release() + " has mount_setattr(MOUNT_ATTR_IDMAP) but overlayfs "
          + "supports idmapped layers only from 5.19", "upgrade to Linux 5.19 or later");
    }
    return Result.pass(name(), "mount_setattr(MOUNT_ATTR_IDMAP) on Linux " + v.release()
        + " (5.12+), idmapped overlayfs layers (5.19+)");
  }
}
