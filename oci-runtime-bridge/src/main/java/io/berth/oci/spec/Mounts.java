package io.berth.oci.spec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The container's mounts: the standard kernel filesystems, the sandbox's files (/etc/hosts,
 * /etc/resolv.conf, /etc/hostname, /dev/shm), the termination-message file, then the config's
 * mounts; a config mount replaces a default one at the same destination.
 */
public final class Mounts {
  /** Propagation of a bind mount, as CRI names it. */
  public enum Propagation {
    PRIVATE("rprivate"),
    HOST_TO_CONTAINER("rslave"),
    BIDIRECTIONAL("rshared");

    private final String option;

    Propagation(String option) {
      this.option = option;
    }
  }

  /** A bind mount the container config asks for. */
  public record Bind(String containerPath, String hostPath, boolean readOnly, Propagation propagation,
      boolean recursiveReadOnly) {}

  /** The sandbox's files; null entries are left out. */
  public record SandboxFiles(String hosts, String resolvConf, String hostname, String shm) {}

  private Mounts() {}

  public static List<RuntimeSpec.Mount> of(boolean privileged, SandboxFiles sandbox, String terminationMessageHost,
      String terminationMessagePath, List<Bind> binds) {
    List<RuntimeSpec.Mount> mounts = new ArrayList<>();
    mounts.add(new RuntimeSpec.Mount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")));
    mounts.add(new RuntimeSpec.Mount("/dev", "tmpfs", "tmpfs",
        List.of("nosuid", "strictatime", "mode=755", "size=65536k")));
    mounts.add(new RuntimeSpec.Mount("/dev/pts", "devpts", "devpts",
        List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")));
    mounts.add(new RuntimeSpec.Mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")));
    mounts.add(new RuntimeSpec.Mount("/sys", "sysfs", "sysfs",
        List.of("nosuid", "noexec", "nodev", privileged ? "rw" : "ro")));
    mounts.add(new RuntimeSpec.Mount("/sys/fs/cgroup", "cgroup", "cgroup",
        List.of("nosuid", "noexec", "nodev", "relatime", privileged ? "rw" : "ro")));
    addFile(mounts, "/etc/hosts", sandbox.hosts());
    addFile(mounts, "/etc/resolv.conf", sandbox.resolvConf());
    addFile(mounts, "/etc/hostname", sandbox.hostname());
    if (sandbox.shm() != null) {
      mounts.add(new RuntimeSpec.Mount("/dev/shm", "bind", sandbox.shm(), List.of("rbind", "rprivate", "rw")));
    }
    if (terminationMessageHost != null && terminationMessagePath != null) {
      mounts.add(new RuntimeSpec.Mount(terminationMessagePath, "bind", terminationMessageHost,
          List.of("rbind", "rprivate", "rw")));
    }
    for (Bind bind : binds) {
      if (!bind.containerPath().startsWith("/")) {
        throw new SpecException("mount container_path '" + bind.containerPath() + "' is not absolute");
      }
      mounts.removeIf(m -> m.destination().equals(bind.containerPath()));
      List<String> options = new ArrayList<>(
          List.of("rbind", bind.propagation().option, bind.readOnly() ? "ro" : "rw"));
      if (bind.readOnly() && bind.recursiveReadOnly()) {
        options.add("rro");
      }
      mounts.add(new RuntimeSpec.Mount(bind.containerPath(), "bind", bind.hostPath(), options));
    }
    // Parents before children, so that a mount never hides one made inside it.
    List<RuntimeSpec.Mount> ordered = new ArrayList<>(mounts);
    ordered.sort(Comparator.comparingInt(m -> depth(m.destination())));
    return ordered;
  }

  /**
   * The propagation of the container's root: rprivate unless a bind asks to receive (rslave) or
   * share (rshared) mount events, because a bind made below a private root is private too, so its
   * own propagation flag would connect it to nothing.
   */
  public static String rootfsPropagation(List<Bind> binds) {
    if (binds.stream().anyMatch(b -> b.propagation() == Propagation.BIDIRECTIONAL)) {
      return "rshared";
    }
    if (binds.stream().anyMatch(b -> b.propagation() == Propagation.HOST_TO_CONTAINER)) {
      return "rslave";
    }
    return "rprivate";
  }

  private static void addFile(List<RuntimeSpec.Mount> mounts, String destination, String source) {
    if (source != null) {
      mounts.add(new RuntimeSpec.Mount(destination, "bind", source, List.of("rbind", "rprivate", "rw")));
    }
  }

  private static int depth(String path) {
    return (int) path.chars().filter(c -> c == '/').count();
  }

  /** Paths runc masks unless the container is privileged. */
  public static final List<String> MASKED_PATHS = List.of(
      "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
      "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap");

  /** Paths made read-only unless the container is privileged. */
  public static final List<String> READONLY_PATHS = List.of(
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");
}
