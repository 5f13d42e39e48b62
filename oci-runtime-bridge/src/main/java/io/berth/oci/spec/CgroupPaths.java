package io.berth.oci.spec;

import java.util.regex.Pattern;

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

  /**
   * A slice unit name as systemd accepts it: letters, digits and {@code _.:}, dashes only between
   * parts (each dash is a level of nesting, so {@code a--b}, {@code -a} and {@code a-} name no slice),
   * no path, at most 255 characters.
   */
  private static final Pattern SLICE = Pattern.compile("[A-Za-z0-9_.:]+(-[A-Za-z0-9_.:]+)*\\.slice");

  private CgroupPaths() {}

  /** Whether {@code name} is a slice unit name systemd accepts ({@code -.slice}, the root, is not a pod's). */
  public static boolean isSliceName(String name) {
    return name.length() <= 255 && SLICE.matcher(name).matches();
  }

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
        if (!isSliceName(slice)) {
          throw new SpecException("cgroup parent '" + parent + "' is not a systemd slice name (the systemd cgroup "
              + "driver expects a unit such as kubepods-besteffort-pod<uid>.slice)");
        }
        yield slice + ":berth:" + id;
      }
    };
  }
}
