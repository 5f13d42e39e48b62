package io.berth.cri.doctor;

import java.util.Locale;
import java.util.Optional;

/**
 * Free space and inodes on the filesystem of a berth directory (root: images and snapshots;
 * state: bundles, sockets, pod files). A directory that does not exist yet is measured at its
 * nearest existing parent. Below 10% or 1 GiB free is a warning (the kubelet starts evicting
 * pods below 10%); below 1% or 100 MiB, or with no inode left, it fails. Filesystems that report
 * no inode counts (btrfs) are judged on space alone.
 */
final class DiskCheck implements Check {
  private static final long GIB = 1024L * 1024 * 1024;
  private static final long MIB = 1024L * 1024;
  private final Host host;
  private final String label;
  private final String key;
  private final String dir;

  DiskCheck(Host host, String label, String key, String dir) {
    this.host = host;
    this.label = label;
    this.key = key;
    this.dir = dir;
  }

  @Override
  public String name() {
    return "disk-" + label;
  }

  @Override
  public Result run() {
    String measured = dir;
    while (!host.exists(measured) && measured.lastIndexOf('/') > 0) {
      measured = measured.substring(0, measured.lastIndexOf('/'));
    }
    if (!host.exists(measured)) {
      measured = "/";
    }
    Optional<Host.Usage> usage = host.usage(measured);
    String where = key + " " + dir + (measured.equals(dir) ? "" : " (not there yet; measured at " + measured + ")");
    if (usage.isEmpty() || usage.get().totalBytes() <= 0) {
      return Result.warn(name(), "cannot measure " + where, "check that " + measured + " is mounted and readable");
    }
    Host.Usage u = usage.get();
    double freePercent = 100.0 * u.availableBytes() / u.totalBytes();
    boolean inodes = u.totalInodes() > 0;
    double inodePercent = inodes ? 100.0 * u.freeInodes() / u.totalInodes() : 100;
    String detail = where + ": " + size(u.availableBytes()) + " of " + size(u.totalBytes()) + " free ("
        + percent(freePercent) + ")" + (inodes ? ", " + count(u.freeInodes()) + " of " + count(u.totalInodes())
        + " inodes free (" + percent(inodePercent) + ")" : ", inodes not reported");
    String fix = "free space on the filesystem of " + dir + " (berthctl rmi unused images) or grow it";
    // The absolute floors are for large filesystems: a small tmpfs (the state dir on /run) that is
    // mostly free is fine, so a floor is never more than a tenth (warn) or a hundredth (fail) of the size.
    long failFloor = Math.min(100 * MIB, u.totalBytes() / 100);
    long warnFloor = Math.min(GIB, u.totalBytes() / 10);
    if (u.availableBytes() < failFloor || freePercent < 1 || (inodes && (u.freeInodes() == 0 || inodePercent < 1))) {
      return Result.fail(name(), detail + ": pulls and new containers fail", fix);
    }
    if (u.availableBytes() < warnFloor || freePercent < 10 || inodePercent < 10) {
      return Result.warn(name(), detail + ": the kubelet evicts pods below 10% free", fix);
    }
    return Result.pass(name(), detail);
  }

  private static String size(long bytes) {
    return bytes >= GIB ? String.format(Locale.ROOT, "%.1f GiB", (double) bytes / GIB)
        : String.format(Locale.ROOT, "%d MiB", bytes / MIB);
  }

  private static String count(long n) {
    return n >= 10_000_000 ? n / 1_000_000 + "M" : n >= 10_000 ? n / 1000 + "k" : Long.toString(n);
  }

  private static String percent(double p) {
    return String.format(Locale.ROOT, "%.0f%%", Math.floor(p));
  }
}
