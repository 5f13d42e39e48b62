package io.berth.cri.cdi;

import io.berth.cri.error.FailedPreconditionException;
import io.berth.cri.error.NotFoundException;
import io.berth.oci.spec.DeviceEdits;
import io.berth.oci.spec.RuntimeSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CDI devices of this node, from the spec files ({@code *.json}, {@code *.yaml}) in the
 * configured directories: a device defined in a later directory overrides the same device in an
 * earlier one; two files of one directory defining it are a conflict that makes it unusable, as
 * in the CDI library. A file that cannot be read or breaks the specification is logged and
 * skipped; the other files' devices stay usable.
 *
 * <p>Re-read on use, not watched: each {@link #resolve} lists the directories and compares every
 * spec file's name, inode, size and mtime with the last scan, and reads them all again when one
 * differs (a file added, removed, replaced or edited; a directory created later). That costs a
 * directory listing and a stat per file only for containers that ask for devices, needs no
 * thread, and cannot miss an event the way a watch set up before its directory existed can.
 * Thread-safe: one resolve at a time.
 */
public final class CdiRegistry implements CdiDevices {
  private static final Logger log = LoggerFactory.getLogger(CdiRegistry.class);

  /** A host device's type (b, c or p) and numbers. */
  public record HostDevice(String type, long major, long minor) {}

  /** Looks up a host device node without following a final symlink; NoSuchFileException when absent. */
  @FunctionalInterface
  public interface HostDevices {
    HostDevice lstat(Path path) throws IOException;
  }

  private record Entry(CdiSpec spec, CdiSpec.Device device, Path file, int priority) {}

  private final List<Path> dirs;
  private final HostDevices host;
  private List<String> scanned;
  private Map<String, Entry> devices = Map.of();
  private Map<String, String> conflicts = Map.of();
  private List<String> broken = List.of();

  public CdiRegistry(List<Path> dirs) {
    this(dirs, CdiRegistry::hostDevice);
  }

  public CdiRegistry(List<Path> dirs, HostDevices host) {
    this.dirs = List.copyOf(dirs);
    this.host = host;
  }

  @Override
  public synchronized DeviceEdits resolve(List<QualifiedName> requested) {
    if (requested.isEmpty()) {
      return DeviceEdits.NONE;
    }
    refresh();
    List<String> unknown = new ArrayList<>();
    List<Entry> found = new ArrayList<>();
    for (QualifiedName name : requested) {
      Entry entry = devices.get(name.toString());
      if (entry == null) {
        unknown.add(name.toString());
      } else {
        found.add(entry);
      }
    }
    if (!unknown.isEmpty()) {
      throw new NotFoundException(unknownMessage(unknown));
    }
    DeviceEdits edits = DeviceEdits.NONE;
    Map<CdiSpec, Boolean> specsApplied = new IdentityHashMap<>();
    for (Entry entry : found) {
      String device = entry.spec().kind() + "=" + entry.device().name();
      if (specsApplied.put(entry.spec(), true) == null && entry.spec().containerEdits() != null) {
        edits = edits.plus(convert(device, entry.spec().containerEdits()));
      }
      edits = edits.plus(convert(device, entry.device().containerEdits()));
    }
    return edits;
  }

  /** The fully qualified names of the devices the spec files define now, sorted. */
  public synchronized List<String> devices() {
    refresh();
    return devices.keySet().stream().sorted().toList();
  }

  private String unknownMessage(List<String> unknown) {
    StringBuilder message = new StringBuilder("CDI device");
    message.append(unknown.size() == 1 ? " " : "s ").append(String.join(", ", unknown))
        .append(unknown.size() == 1 ? " is" : " are").append(" not defined by any CDI spec in ")
        .append(dirs.isEmpty() ? "(no spec directory configured)"
            : dirs.stream().map(Path::toString).collect(Collectors.joining(", ")));
    for (String name : unknown) {
      if (conflicts.containsKey(name)) {
        message.append("; ").append(conflicts.get(name));
      }
    }
    if (!broken.isEmpty()) {
      message.append("; spec files skipped: ").append(String.join("; ", broken));
    }
    return message.toString();
  }

  /** Reads the spec files again when any of them changed since the last scan. */
  private void refresh() {
    List<String> now = new ArrayList<>();
    List<List<Path>> files = new ArrayList<>();
    for (Path dir : dirs) {
      List<Path> specFiles = specFiles(dir);
      files.add(specFiles);
      for (Path file : specFiles) {
        now.add(fingerprint(file));
      }
    }
    if (now.equals(scanned)) {
      return;
    }
    Map<String, Entry> loaded = new HashMap<>();
    Map<String, String> conflicting = new LinkedHashMap<>();
    List<String> skipped = new ArrayList<>();
    for (int priority = 0; priority < files.size(); priority++) {
      for (Path file : files.get(priority)) {
        CdiSpec spec;
        try {
          spec = CdiSpecReader.read(file);
        } catch (CdiSpecException e) {
          log.warn("CDI spec skipped: {}", e.getMessage());
          skipped.add(e.getMessage());
          continue;
        }
        for (CdiSpec.Device device : spec.devices()) {
          String name = spec.kind() + "=" + device.name();
          Entry previous = loaded.get(name);
          if (previous != null && previous.priority() == priority) {
            String conflict = "CDI device " + name + " is defined by both " + previous.file() + " and " + file;
            log.warn("{}: neither is used", conflict);
            conflicting.put(name, conflict);
            continue;
          }
          conflicting.remove(name); // a later directory's definition wins over an earlier conflict
          loaded.put(name, new Entry(spec, device, file, priority));
        }
      }
    }
    conflicting.keySet().forEach(loaded::remove);
    devices = Map.copyOf(loaded);
    conflicts = Map.copyOf(conflicting);
    broken = List.copyOf(skipped);
    scanned = now;
    log.info("CDI specs read from {}: {} devices", dirs, devices.size());
  }

  private static List<Path> specFiles(Path dir) {
    try (Stream<Path> list = Files.list(dir)) {
      // Not only regular files: a FIFO or device named like a spec is refused by the reader and
      // reported as skipped, instead of being silently no spec.
      return list.filter(CdiSpecReader::isSpecFile).filter(f -> !Files.isDirectory(f)).sorted().toList();
    } catch (NoSuchFileException e) {
      return List.of(); // a directory that does not exist (yet) defines no device
    } catch (IOException e) {
      log.warn("CDI spec directory {} cannot be listed: {}", dir, e.getMessage());
      return List.of();
    }
  }

  private static String fingerprint(Path file) {
    try {
      BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
      return file + "|" + attributes.fileKey() + "|" + attributes.size() + "|"
          + attributes.lastModifiedTime().toInstant();
    } catch (IOException e) {
      return file + "|gone";
    }
  }

  private DeviceEdits convert(String device, CdiSpec.ContainerEdits edits) {
    List<DeviceEdits.Node> nodes = new ArrayList<>();
    for (CdiSpec.DeviceNode node : orEmpty(edits.deviceNodes())) {
      nodes.add(node(device, node));
    }
    List<RuntimeSpec.Mount> mounts = new ArrayList<>();
    for (CdiSpec.Mount mount : orEmpty(edits.mounts())) {
      mounts.add(new RuntimeSpec.Mount(mount.containerPath(),
          mount.type() == null || mount.type().isEmpty() ? null : mount.type(), mount.hostPath(),
          mount.options() == null ? null : List.copyOf(mount.options())));
    }
    List<DeviceEdits.StagedHook> hooks = new ArrayList<>();
    for (CdiSpec.Hook hook : orEmpty(edits.hooks())) {
      hooks.add(new DeviceEdits.StagedHook(DeviceEdits.Stage.named(hook.hookName()),
          new RuntimeSpec.Hook(hook.path(), hook.args(), hook.env(), hook.timeout())));
    }
    return new DeviceEdits(orEmpty(edits.env()), nodes, mounts, hooks, orEmpty(edits.additionalGids()));
  }

  /**
   * A node with its type and numbers: from the spec when it gives a type and (but for a FIFO) a
   * major number, else from the host device, as the CDI library fills them in.
   */
  private DeviceEdits.Node node(String device, CdiSpec.DeviceNode node) {
    String hostPath = node.hostPath() == null || node.hostPath().isEmpty() ? node.path() : node.hostPath();
    // 'u' (unbuffered) is a character device to mknod and to the devices cgroup.
    String type = node.type() == null || node.type().isEmpty() ? "" : node.type().equals("u") ? "c" : node.type();
    long major = node.major() == null ? 0 : node.major();
    long minor = node.minor() == null ? 0 : node.minor();
    if (type.isEmpty() || (major == 0 && !type.equals("p"))) {
      HostDevice found;
      try {
        found = host.lstat(Path.of(hostPath));
      } catch (NoSuchFileException e) {
        throw new FailedPreconditionException("CDI device " + device + ": host device " + hostPath
            + " does not exist", e);
      } catch (IOException e) {
        throw new FailedPreconditionException("CDI device " + device + ": host device " + hostPath + ": "
            + e.getMessage(), e);
      }
      if (!type.isEmpty() && !type.equals(found.type())) {
        throw new FailedPreconditionException("CDI device " + device + ": " + node.path() + " has type " + type
            + " but host device " + hostPath + " has type " + found.type());
      }
      type = found.type();
      if (major == 0 && !type.equals("p")) {
        major = found.major();
        minor = found.minor();
      }
    }
    return new DeviceEdits.Node(node.path(), type, major, minor, node.fileMode(), node.uid(), node.gid(),
        node.permissions());
  }

  /** The real host: lstat of a block, character or FIFO node. */
  static HostDevice hostDevice(Path path) throws IOException {
    int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    long rdev = (Long) Files.getAttribute(path, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
    String type = switch (mode & 0170000) {
      case 0020000 -> "c";
      case 0060000 -> "b";
      case 0010000 -> "p";
      default -> throw new IOException("not a device node");
    };
    // glibc's major()/minor() of a dev_t.
    long major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfffL);
    long minor = (rdev & 0xff) | ((rdev >> 12) & ~0xffL);
    return type.equals("p") ? new HostDevice(type, 0, 0) : new HostDevice(type, major, minor);
  }

  private static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}
