package io.berth.snapshot.overlay;

import io.berth.snapshot.FileTrees;
import io.berth.snapshot.LayerDirs;
import io.berth.snapshot.Mount;
import io.berth.snapshot.SnapshotException;
import io.berth.snapshot.SnapshotInfo;
import io.berth.snapshot.SnapshotInfo.Kind;
import io.berth.snapshot.Snapshotter;
import io.berth.snapshot.StoredJson;
import io.berth.snapshot.Usage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.ObjectMapper;

/**
 * Snapshots as overlayfs layers: each snapshot is a directory {@code <root>/<n>/} with {@code fs}
 * (its layer), {@code work} (overlayfs scratch) and {@code meta.json}. Numeric names keep
 * {@code lowerdir} short. A snapshot exists once its meta.json has been renamed into place, so a
 * crash leaves either a whole snapshot or a directory without metadata, which the next start
 * deletes; removal renames the directory away first for the same reason. Active snapshots whose
 * key starts with {@link #EXTRACT_PREFIX} belong to unpacks and are discarded at start.
 * Containers' writable layers ({@link #prepareContainer}) may live apart, under a container layer
 * directory on another filesystem ({@code <containerLayers>/<n>/fs} and {@code work}); their
 * meta.json stays under the root, which remains the one record of every snapshot.
 * Thread-safe; metadata changes are serialised, tree deletion and measuring run outside the lock.
 */
public final class OverlaySnapshotter implements Snapshotter {
  /** Keys of active snapshots used while unpacking a layer; never survive a restart. */
  public static final String EXTRACT_PREFIX = "extract-";

  private static final Logger log = LoggerFactory.getLogger(OverlaySnapshotter.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String REMOVING_PREFIX = ".removing-";

  private final Path root;
  /** Where containers' writable layers go; null: under the root like every other snapshot. */
  private final Path containerLayers;
  private final Map<String, SnapshotRecord> byKey = new HashMap<>();
  private final AtomicLong nextId = new AtomicLong(1);
  private final ScheduledExecutorService usageRefresher;

  /**
   * Opens (or creates) the store under {@code root}, cleaning up what a crash left behind, and
   * measures active snapshots every {@code usageInterval} in the background.
   */
  public OverlaySnapshotter(Path root, Duration usageInterval) {
    this(root, null, usageInterval);
  }

  /**
   * Like {@link #OverlaySnapshotter(Path, Duration)}, with containers' writable layers under
   * {@code containerLayers} (null, or the root itself: no separate place).
   */
  public OverlaySnapshotter(Path root, Path containerLayers, Duration usageInterval) {
    this.root = root;
    this.containerLayers = containerLayers == null || containerLayers.equals(root) ? null : containerLayers;
    try {
      Files.createDirectories(root);
      // Layers hold setuid programs: no host user but root may reach them (see berthd's root dir).
      Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
      if (this.containerLayers != null) {
        Files.createDirectories(this.containerLayers);
        Files.setPosixFilePermissions(this.containerLayers, PosixFilePermissions.fromString("rwx------"));
      }
      load();
    } catch (IOException e) {
      throw new SnapshotException.StorageFailure("cannot open snapshot store " + root + ": " + e.getMessage(), e);
    }
    this.usageRefresher = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().daemon().name("snapshot-usage").factory());
    long millis = Math.max(1, usageInterval.toMillis());
    usageRefresher.scheduleWithFixedDelay(this::refreshActiveUsage, 0, millis, TimeUnit.MILLISECONDS);
  }

  private void load() throws IOException {
    List<Path> stale = new ArrayList<>();
    long maxId = numberedDirs(root, stale, (dir, id) -> {
      SnapshotRecord record = readMeta(dir);
      if (record == null) {
        stale.add(dir); // created, never completed
      } else {
        byKey.put(record.key(), record);
      }
    });
    if (containerLayers != null) {
      maxId = Math.max(maxId, sweepContainerLayers(stale));
    }
    nextId.set(maxId + 1);
    // Unpacks interrupted by a crash: invisible, and removed now (children first is not needed:
    // nothing is ever prepared on an active snapshot).
    for (SnapshotRecord record : List.copyOf(byKey.values())) {
      if (record.kind() == Kind.ACTIVE && record.key().startsWith(EXTRACT_PREFIX)) {
        byKey.remove(record.key());
        stale.add(dir(record));
        stale.add(layerDir(record));
        log.info("snapshot discarding interrupted unpack key={}", record.key());
      }
    }
    for (Path dir : stale) {
      deleteTree(dir);
    }
  }

  /**
   * Marks as stale what under the container layer directory no record names (a crash between
   * creating the layer and its meta.json, or during a removal); returns the highest number seen.
   */
  private long sweepContainerLayers(List<Path> stale) throws IOException {
    return numberedDirs(containerLayers, stale, (dir, id) -> {
      boolean owned = byKey.values().stream().anyMatch(r -> r.id() == id && dir.equals(layerDir(r)));
      if (!owned) {
        stale.add(dir);
      }
    });
  }
  /** Reads one numbered snapshot directory found at start. */
  @FunctionalInterface
  private interface NumberedDir {
    void visit(Path dir, long id) throws IOException;
  }

  /**
   * Visits the numbered directories under {@code parent}, marks half-removed and temporary ones
   * stale, skips what is not ours, and returns the highest number seen.
   */
  private static long numberedDirs(Path parent, List<Path> stale, NumberedDir visitor) throws IOException {
    long maxId = 0;
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(parent)) {
      for (Path dir : dirs) {
        String name = dir.getFileName().toString();
        if (name.startsWith(REMOVING_PREFIX) || name.startsWith(".tmp-")) {
          stale.add(dir);
          continue;
        }
        long id;
        try {
          id = Long.parseLong(name);
        } catch (NumberFormatException e) {
          continue; // not ours
        }
        maxId = Math.max(maxId, id);
        visitor.visit(dir, id);
      }
    }
    return maxId;
  }


  private static SnapshotRecord readMeta(Path dir) {
    try {
      return SnapshotRecord.read(StoredJson.parse(JSON, Files.readString(dir.resolve("meta.json"))));
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException | RuntimeException e) {
      log.warn("snapshot metadata unreadable dir={} error={}", dir, e.getMessage());
      return null;
    }
  }

  @Override
  public List<Mount> prepare(String key, String parent) {
    SnapshotRecord record = create(key, parent, Kind.ACTIVE, false);
    return mountsOf(record);
  }

  @Override
  public List<Mount> prepareContainer(String key, String parent) {
    SnapshotRecord record = create(key, parent, Kind.ACTIVE, true);
    return mountsOf(record);
  }

  @Override
  public List<Mount> view(String key, String parent) {
    if (parent == null) {
      throw new SnapshotException.InUse("view " + key + " needs a committed parent");
    }
    SnapshotRecord record = create(key, parent, Kind.VIEW, false);
    return mountsOf(record);
  }

  private SnapshotRecord create(String key, String parent, Kind kind, boolean container) {
    requireKey(key);
    SnapshotRecord record;
    synchronized (this) {
      if (byKey.containsKey(key)) {
        throw new SnapshotException.AlreadyExists(key);
      }
      if (parent != null) {
        SnapshotRecord parentRecord = byKey.get(parent);
        if (parentRecord == null) {
          throw new SnapshotException.NotFound(parent);
        }
        if (parentRecord.kind() != Kind.COMMITTED) {
          throw new SnapshotException.InUse("parent " + parent + " of " + key + " is not committed");
        }
      }
      String layerRoot = container && containerLayers != null ? containerLayers.toString() : null;
      record = new SnapshotRecord(nextId.getAndIncrement(), key, parent, kind, Instant.now(), Usage.ZERO, container,
          layerRoot);
      try {
        // The layer first: a crash before meta.json leaves only directories the next start sweeps.
        Path layer = layerDir(record);
        if (layerRoot != null) {
          Files.createDirectory(layer, permissions("rwx--x--x"));
        }
        Files.createDirectory(dir(record), permissions("rwx--x--x"));
        if (kind == Kind.ACTIVE) {
          // overlayfs wants upperdir and workdir on one filesystem: both live in the layer directory.
          Files.createDirectory(layer.resolve("fs"), permissions("rwxr-xr-x"));
          Files.createDirectory(layer.resolve("work"), permissions("rwx------"));
        }
        writeMeta(record);
      } catch (IOException e) {
        deleteTree(layerDir(record));
        deleteTree(dir(record));
        throw new SnapshotException.StorageFailure("cannot create snapshot " + key + ": " + e.getMessage(), e);
      }
      byKey.put(key, record);
    }
    return record;
  }

  @Override
  public void commit(String name, String key) {
    requireKey(name);
    SnapshotRecord active;
    synchronized (this) {
      active = require(key);
      if (active.kind() != Kind.ACTIVE) {
        throw new SnapshotException.InUse(
            "snapshot " + key + " is " + active.kind() + ", only active snapshots commit");
      }
      if (active.container()) {
        // Its layer may sit on the container filesystem, which must never hold image layers.
        throw new SnapshotException.InUse("snapshot " + key + " is a container's writable layer, it does not commit");
      }
      if (byKey.containsKey(name)) {
        throw new SnapshotException.AlreadyExists(name);
      }
    }
    Usage usage;
    try {
      usage = DiskUsage.of(layerDir(active).resolve("fs"));
    } catch (IOException e) {
      throw new SnapshotException.StorageFailure("cannot measure snapshot " + key + ": " + e.getMessage(), e);
    }
    synchronized (this) {
      SnapshotRecord current = byKey.get(key);
      if (current == null || current.id() != active.id()) {
        throw new SnapshotException.NotFound(key); // removed while we measured
      }
      if (byKey.containsKey(name)) {
        throw new SnapshotException.AlreadyExists(name);
      }
      SnapshotRecord committed = current.committedAs(name, usage);
      try {
        writeMeta(committed);
      } catch (IOException e) {
        throw new SnapshotException.StorageFailure(
            "cannot commit snapshot " + key + " as " + name + ": " + e.getMessage(), e);
      }
      byKey.remove(key);
      byKey.put(name, committed);
    }
  }

  @Override
  public void remove(String key) {
    Path doomed;
    Path separateLayer;
    synchronized (this) {
      SnapshotRecord record = require(key);
      long children = byKey.values().stream().filter(r -> key.equals(r.parent())).count();
      if (children > 0) {
        throw new SnapshotException.InUse("snapshot " + key + " is the parent of " + children + " other snapshot(s)");
      }
      doomed = root.resolve(REMOVING_PREFIX + record.id());
      try {
        Files.move(dir(record), doomed, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IllegalStateException(e);
      } catch (IOException e) {
        throw new SnapshotException.StorageFailure("cannot remove snapshot " + key + ": " + e.getMessage(), e);
      }
      byKey.remove(key);
      separateLayer = record.layerRoot() == null ? null : layerDir(record);
    }
    // The record is gone once renamed; a crash from here on leaves a layer the next start sweeps.
    if (separateLayer != null) {
      deleteTree(separateLayer);
    }
    deleteTree(doomed);
  }

  @Override
  public synchronized SnapshotInfo stat(String key) {
    return require(key).info();
  }

  @Override
  public void walk(Consumer<SnapshotInfo> visitor) {
    List<SnapshotInfo> all;
    synchronized (this) {
      all = byKey.values().stream().map(SnapshotRecord::info).toList();
    }
    all.forEach(visitor);
  }

  @Override
  public synchronized List<Mount> mounts(String key) {
    return mountsOf(require(key));
  }

  @Override
  public synchronized Usage usage(String key) {
    return require(key).usage();
  }

  @Override
  public synchronized LayerDirs layerDirs(String key) {
    SnapshotRecord record = require(key);
    if (record.kind() != Kind.ACTIVE) {
      throw new SnapshotException.InUse("snapshot " + key + " is " + record.kind() + ", it has no writable layer");
    }
    return new LayerDirs(layerDir(record).resolve("fs"), parentLayers(record));
  }

  /** Usage of containers' writable layers ({@link #prepareContainer}), from the tracked values. */
  public synchronized Usage containerUsage() {
    return byKey.values().stream().filter(SnapshotRecord::container).map(SnapshotRecord::usage)
        .reduce(Usage.ZERO, Usage::plus);
  }

  /** Usage of every other snapshot (image layers, unpacks in progress, views), from the tracked values. */
  public synchronized Usage imageUsage() {
    return byKey.values().stream().filter(r -> !r.container()).map(SnapshotRecord::usage)
        .reduce(Usage.ZERO, Usage::plus);
  }

  /** Total usage of all snapshots, from the tracked values (no tree walk). */
  public synchronized Usage totalUsage() {
    return byKey.values().stream().map(SnapshotRecord::usage).reduce(Usage.ZERO, Usage::plus);
  }

  /** Measures every active snapshot once; runs in the background, public for tests. */
  public void refreshActiveUsage() {
    List<SnapshotRecord> active;
    synchronized (this) {
      active = byKey.values().stream().filter(r -> r.kind() == Kind.ACTIVE).toList();
    }
    for (SnapshotRecord record : active) {
      try {
        Usage measured = DiskUsage.of(layerDir(record).resolve("fs"));
        synchronized (this) {
          SnapshotRecord current = byKey.get(record.key());
          if (current != null && current.id() == record.id() && current.kind() == Kind.ACTIVE) {
            byKey.put(record.key(), current.withUsage(measured));
          }
        }
      } catch (IOException | RuntimeException e) {
        log.debug("snapshot usage not measured key={} error={}", record.key(), e.getMessage());
      }
    }
  }

  private List<Mount> mountsOf(SnapshotRecord record) {
    List<Path> lowers = parentLayers(record);
    Path dir = layerDir(record);
    return switch (record.kind()) {
      case ACTIVE -> lowers.isEmpty()
          ? List.of(new Mount("bind", dir.resolve("fs").toString(), List.of("rbind", "rw")))
          : List.of(new Mount("overlay", "overlay", List.of(
              "workdir=" + dir.resolve("work"),
              "upperdir=" + dir.resolve("fs"),
              "lowerdir=" + joinPaths(lowers))));
      case VIEW, COMMITTED -> {
        List<Path> layers = record.kind() == Kind.COMMITTED ? withOwn(dir, lowers) : lowers;
        yield layers.size() == 1
            ? List.of(new Mount("bind", layers.getFirst().toString(), List.of("rbind", "ro")))
            : List.of(new Mount("overlay", "overlay", List.of("ro", "lowerdir=" + joinPaths(layers))));
      }
    };
  }

  private static List<Path> withOwn(Path dir, List<Path> lowers) {
    List<Path> layers = new ArrayList<>();
    layers.add(dir.resolve("fs"));
    layers.addAll(lowers);
    return layers;
  }

  /** The fs directories of the parent chain, topmost first. */
  private List<Path> parentLayers(SnapshotRecord record) {
    List<Path> layers = new ArrayList<>();
    String parent = record.parent();
    while (parent != null) {
      SnapshotRecord p = byKey.get(parent);
      if (p == null) {
        throw new SnapshotException.NotFound(parent);
      }
      layers.add(layerDir(p).resolve("fs"));
      parent = p.parent();
    }
    return layers;
  }

  private static String joinPaths(List<Path> paths) {
    return String.join(":", paths.stream().map(Path::toString).toList());
  }

  /** A directory's mode at creation, e.g. {@code "rwx--x--x"}. */
  private static FileAttribute<Set<PosixFilePermission>> permissions(String mode) {
    return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode));
  }

  private SnapshotRecord require(String key) {
    SnapshotRecord record = byKey.get(key);
    if (record == null) {
      throw new SnapshotException.NotFound(key);
    }
    return record;
  }

  private static void requireKey(String key) {
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("snapshot key must not be empty");
    }
  }

  private Path dir(SnapshotRecord record) {
    return root.resolve(Long.toString(record.id()));
  }

  /** The directory holding the snapshot's {@code fs} and {@code work}: its own, or on the container root. */
  private Path layerDir(SnapshotRecord record) {
    return record.layerRoot() == null ? dir(record) : Path.of(record.layerRoot()).resolve(Long.toString(record.id()));
  }

  /** Writes meta.json through a temporary file, fsync and rename, then syncs the directory. */
  private void writeMeta(SnapshotRecord record) throws IOException {
    Path dir = dir(record);
    Path tmp = dir.resolve("meta.json.tmp");
    byte[] bytes = JSON.writeValueAsBytes(record);
    try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      channel.write(ByteBuffer.wrap(bytes));
      channel.force(true);
    }
    Files.move(tmp, dir.resolve("meta.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
      directory.force(true);
    }
  }

  private static void deleteTree(Path dir) {
    try {
      FileTrees.deleteTree(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    usageRefresher.shutdownNow();
  }
}
