package io.berth.cri.doctor;

import java.util.Arrays;

/**
 * overlayfs, which every container's rootfs is (the image layers under a writable snapshot):
 * registered in /proc/filesystems, or at least present as a module the first mount loads.
 */
final class OverlayCheck implements Check {
  private final Host host;

  OverlayCheck(Host host) {
    this.host = host;
  }

  @Override
  public String name() {
    return "overlayfs";
  }

  @Override
  public Result run() {
    boolean registered = host.read("/proc/filesystems").map(text -> Arrays.stream(text.split("\n"))
        .map(line -> line.strip().split("\\s+"))
        .anyMatch(fields -> fields[fields.length - 1].equals("overlay"))).orElse(false);
    if (registered) {
      return Result.pass(name(), "overlay is in /proc/filesystems");
    }
    String release = host.read(KernelCheck.OSRELEASE).orElse("").strip();
    if (!release.isEmpty() && host.exists("/lib/modules/" + release + "/kernel/fs/overlayfs")) {
      return Result.pass(name(), "overlay is a module of Linux " + release + ", loaded by the first mount");
    }
    return Result.fail(name(), "the kernel has no overlay filesystem: no container rootfs can be mounted",
        "modprobe overlay (echo overlay > /etc/modules-load.d/berth.conf), or use a kernel with CONFIG_OVERLAY_FS");
  }
}
