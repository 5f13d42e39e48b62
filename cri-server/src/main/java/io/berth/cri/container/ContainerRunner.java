package io.berth.cri.container;

import io.berth.oci.runtime.CommandLineRuntime;
import io.berth.oci.runtime.ConmonMonitor;
import io.berth.oci.spec.RuntimeSpec;
import io.berth.oci.spec.SpecJson;
import io.berth.snapshot.Mounter;
import io.berth.snapshot.SnapshotException;
import io.berth.snapshot.Snapshotter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The host side of one container (infra containers included): its bundle
 * ({@code <state>/containers/<id>}: config.json, the mounted rootfs, conmon's files), its
 * writable snapshot, its conmon and its runtime state. Every step here has an undo, and
 * {@link #destroy} undoes all of them in any state, idempotently.
 */
public final class ContainerRunner {
  private final Path bundles;
  private final ConmonMonitor monitor;
  private final Snapshotter snapshots;
  private final Mounter mounter;

  public ContainerRunner(Path bundles, ConmonMonitor monitor, Snapshotter snapshots, Mounter mounter) {
    this.bundles = bundles;
    this.monitor = monitor;
    this.snapshots = snapshots;
    this.mounter = mounter;
  }

  public Path bundle(String id) {
    return bundles.resolve(id);
  }

  public Path rootfs(String id) {
    return bundle(id).resolve("rootfs");
  }

  /** Creates the writable snapshot {@code id} on {@code parentChainId} and mounts it as the rootfs. */
  public Path mountRootfs(String id, String parentChainId) throws IOException {
    Path rootfs = Files.createDirectories(rootfs(id));
    var mounts = snapshots.prepare(id, parentChainId);
    try {
      mounter.mount(mounts, rootfs);
    } catch (RuntimeException e) {
      snapshots.remove(id);
      throw e;
    }
    return rootfs;
  }

  /** Writes config.json and creates the container under a new conmon; returns its PID. */
  public ConmonMonitor.Created create(CommandLineRuntime runtime, String id, String name, RuntimeSpec spec,
      Path logPath, boolean stdin, boolean stdinOnce) throws IOException {
    Path bundle = Files.createDirectories(bundle(id));
    Files.writeString(bundle.resolve("config.json"), SpecJson.write(spec));
    return monitor.create(runtime,
        new ConmonMonitor.Request(id, name, bundle, logPath, spec.process().terminal(), stdin, stdinOnce));
  }

  public Optional<ConmonMonitor.Exit> exit(String id) {
    return monitor.exit(id, bundle(id));
  }

  public Optional<ConmonMonitor.Exit> awaitExit(String id, Duration timeout) {
    return monitor.awaitExit(id, bundle(id), timeout);
  }

  /**
   * Has conmon reopen the log and waits until the new file exists: the kubelet renamed the old
   * one and checks for the new one as soon as this returns.
   */
  public void reopenLog(String id, Path logPath) {
    monitor.reopenLog(bundle(id));
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!Files.exists(logPath)) {
      if (System.nanoTime() > deadline) {
        throw new io.berth.oci.runtime.OciRuntimeException("conmon did not reopen " + logPath + " within 5 s");
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new io.berth.oci.runtime.OciRuntimeException("interrupted reopening " + logPath, e);
      }
    }
  }

  /**
   * Removes everything of container {@code id}: the runtime's state (killing it if it still
   * runs), the rootfs mount, the writable snapshot (when {@code snapshotKey} is set), the bundle
   * and the exit file. Safe to repeat, and safe on a half-created container.
   */
  public void destroy(CommandLineRuntime runtime, String id, String snapshotKey) {
    runtime.delete(id, true);
    Path rootfs = rootfs(id);
    if (Files.exists(rootfs)) {
      mounter.unmount(rootfs);
    }
    if (snapshotKey != null && !snapshotKey.isEmpty()) {
      try {
        snapshots.remove(snapshotKey);
      } catch (SnapshotException.NotFound gone) {
        // removed before a crash
      }
    }
    deleteTree(bundle(id));
    monitor.forgetExit(id);
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (NoSuchFileException e) {
      // gone already
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + root + ": " + e.getMessage(), e);
    }
  }
}
