package io.berth.cri;

import io.berth.cri.config.BerthConfig;
import io.berth.cri.config.ConfigException;
import io.berth.cri.image.ImageFsInfoHandler;
import io.berth.cri.image.ImageServiceAdapter;
import io.berth.cri.image.ImageStatusHandler;
import io.berth.cri.image.ListImagesHandler;
import io.berth.cri.image.PullImageHandler;
import io.berth.cri.image.RemoveImageHandler;
import io.berth.cri.metrics.ImageMetrics;
import io.berth.image.ImageException;
import io.berth.image.content.LocalContentStore;
import io.berth.image.oci.Platform;
import io.berth.image.pull.ImagePuller;
import io.berth.image.pull.PullWatchdog;
import io.berth.image.ref.ImageReference;
import io.berth.image.registry.Credentials;
import io.berth.image.registry.RegistryClient;
import io.berth.image.registry.RegistryHosts;
import io.berth.image.store.ImageGarbageCollector;
import io.berth.image.store.ImageStore;
import io.berth.snapshot.apply.LayerApplier;
import io.berth.snapshot.overlay.OverlaySnapshotter;
import io.berth.sys.LinuxSyscalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The image side of berthd, wired from the configuration: content store ({@code <root>/content}),
 * snapshots ({@code <root>/snapshots}), image records ({@code <root>/images}), the registry
 * client, the puller and the collector, and the ImageService built on them. Closed once.
 */
final class ImageSubsystem implements AutoCloseable {
  private final OverlaySnapshotter snapshots;
  private final RegistryClient registry;
  private final ImagePuller puller;
  private final ImageServiceAdapter service;
  private final ImageStore images;
  private final LinuxSyscalls sys;

  private ImageSubsystem(OverlaySnapshotter snapshots, RegistryClient registry, ImagePuller puller,
      ImageServiceAdapter service, ImageStore images, LinuxSyscalls sys) {
    this.images = images;
    this.sys = sys;
    this.snapshots = snapshots;
    this.registry = registry;
    this.puller = puller;
    this.service = service;
  }

  static ImageSubsystem open(BerthConfig config, ImageMetrics metrics) {
    Path root = config.rootDir();
    BerthConfig.Registry registryConfig = config.registry();
    RegistryHosts hosts = registryHosts(registryConfig);
    List<String> pinned = pinned(config.images());
    LinuxSyscalls sys = new LinuxSyscalls();
    var content = new LocalContentStore(root.resolve("content"));
    Path containerRoot = containerRoot(config);
    var snapshots = new OverlaySnapshotter(root.resolve("snapshots"),
        containerRoot.equals(root) ? null : containerRoot.resolve("snapshots"),
        Duration.ofSeconds(config.images().usageIntervalSeconds()));
    var images = new ImageStore(root.resolve("images"), pinned);
    var registry = new RegistryClient(hosts,
        Duration.ofSeconds(registryConfig.connectTimeoutSeconds()),
        Duration.ofSeconds(registryConfig.stallTimeoutSeconds()));
    var gcLock = new ReentrantReadWriteLock();
    var applier = new LayerApplier(sys);
    var puller = new ImagePuller(registry, content, snapshots, applier, images,
        Platform.parse(registryConfig.platform()), registryConfig.maxConcurrentDownloads(), gcLock,
        PullWatchdog.ticking(Duration.ofSeconds(registryConfig.pullProgressTimeoutSeconds())));
    var collector = new ImageGarbageCollector(images, content, snapshots, gcLock);
    // Blobs and layers of pulls a crash interrupted belong to no image: free them now.
    metrics.gc(collector.collect().bytesFreed());
    var service = new ImageServiceAdapter(
        new PullImageHandler(puller, metrics, config.runtime().handlers().keySet()),
        new ImageStatusHandler(images),
        new ListImagesHandler(images),
        new RemoveImageHandler(images, collector, metrics),
        new ImageFsInfoHandler(content, snapshots, root, containerRoot));
    if (PullPathTraining.requested()) {
      PullPathTraining.run(config.stateDir(), applier, registry::prepareClients);
    }
    return new ImageSubsystem(snapshots, registry, puller, service, images, sys);
  }

  /**
   * images.container_root (the root when unset), created root-only like the root: containers'
   * writable layers hold the setuid programs they copied up.
   */
  private static Path containerRoot(BerthConfig config) {
    Path root = config.rootDir();
    Path containerRoot = config.images().containerRootDir(root);
    if (!containerRoot.equals(root)) {
      try {
        Files.createDirectories(containerRoot);
        Files.setPosixFilePermissions(containerRoot, PosixFilePermissions.fromString("rwx------"));
      } catch (IOException e) {
        throw new ConfigException("images.container_root: cannot use " + containerRoot + ": " + e.getMessage(), e);
      }
    }
    return containerRoot;
  }

  /**
   * Reads the image side of a reloaded configuration: the registry hosts files again (they may
   * have changed even when the configuration file did not), the default credentials and the
   * pinned images. Returns what puts them in force, which cannot fail on bad input: a file or a
   * value that cannot be used throws {@link ConfigException} here, before anything changed.
   */
  Runnable reconfigure(BerthConfig next) {
    RegistryHosts hosts = registryHosts(next.registry());
    List<String> pinned = pinned(next.images());
    return () -> {
      registry.useHosts(hosts);
      images.pin(pinned);
    };
  }

  /** The hosts files under registry.config_path, with registry.auths as each host's default credentials. */
  private static RegistryHosts registryHosts(BerthConfig.Registry registryConfig) {
    Map<String, Credentials> auths = new HashMap<>();
    registryConfig.auths().forEach((host, auth) -> {
      try {
        auths.put(host, Credentials.of(auth.username(), auth.password(), auth.auth(), null, null));
      } catch (ImageException e) {
        throw new ConfigException("registry.auths." + host + ": " + e.getMessage(), e);
      }
    });
    try {
      return RegistryHosts.load(Path.of(registryConfig.configPath()), auths);
    } catch (ImageException e) {
      throw new ConfigException("registry.config_path: " + e.getMessage(), e);
    }
  }

  /** images.pinned, each checked to be an image reference. */
  private static List<String> pinned(BerthConfig.Images imagesConfig) {
    for (String reference : imagesConfig.pinned()) {
      try {
        ImageReference.parse(reference);
      } catch (ImageException e) {
        throw new ConfigException("images.pinned: " + e.getMessage(), e);
      }
    }
    return imagesConfig.pinned();
  }

  ImageServiceAdapter service() {
    return service;
  }

  ImageStore images() {
    return images;
  }

  OverlaySnapshotter snapshots() {
    return snapshots;
  }

  LinuxSyscalls syscalls() {
    return sys;
  }

  @Override
  public void close() {
    puller.close();
    registry.close();
    snapshots.close();
  }
}
