package io.berth.oci.spec;

/**
 * Cgroup paths as the runtime expects them: a filesystem path under the pod's parent for the
 * cgroupfs driver, {@code slice:prefix:name} for the systemd driver.
 */
public final class CgroupPaths {
  /** The two cgroup managers. */
  public enum Driver {
    CGROUPFS,
    SYSTEMD
  }

  private CgroupPaths() {}

  /**
   * The container's cgroup: {@code parent} is the pod's cgroup parent from the kubelet (a path
   * for cgroupfs, a slice name for systemd), {@code id} the container ID.
   */
  public static String of(Driver driver, String parent, String id) {
    return switch (driver) {
      case CGROUPFS -> {
        String base = parent == null || parent.isEmpty() ? "/berth" : parent;
        yield (base.startsWith("/") ? base : "/" + base) + "/" + id;
      }
      case SYSTEMD -> {
        String slice = parent == null || parent.isEmpty() ? "system.slice" : parent;
        if (!slice.endsWith(".slice")) {
          throw new SpecException("cgroup parent '" + parent + "' is not a systemd slice");
        }
        yield slice + ":berth:" + id;
      }
    };
  }
}
