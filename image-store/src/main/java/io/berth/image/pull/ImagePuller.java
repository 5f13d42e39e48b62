package io.berth.image.pull;

import io.berth.image.ImageException;
import io.berth.image.content.ContentStore;
import io.berth.image.content.Ingest;
import io.berth.image.oci.Descriptor;
import io.berth.image.oci.ImageConfig;
import io.berth.image.oci.Manifest;
import io.berth.image.oci.MediaTypes;
import io.berth.image.oci.Platform;
import io.berth.image.ref.Digest;
import io.berth.image.ref.ImageReference;
import io.berth.image.registry.CountingInputStream;
import io.berth.image.registry.Credentials;
import io.berth.image.registry.RegistryClient;
import io.berth.image.registry.RegistryClient.FetchedManifest;
import io.berth.image.registry.RegistryHosts.Endpoint;
import io.berth.image.store.ImageRecord;
import io.berth.image.store.ImageStore;
import io.berth.snapshot.SnapshotException;
import io.berth.snapshot.Snapshotter;
import io.berth.snapshot.apply.LayerApplier;
import io.berth.snapshot.overlay.OverlaySnapshotter;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.ObjectMapper;

/**
 * Pulls an image: resolves the reference (mirrors first), picks the platform from an index,
 * fetches the config, downloads missing layers in parallel (bounded across all pulls) through
 * digest verification into the content store, unpacks each into a snapshot as soon as it and
 * its parent are ready, and records the image only once everything is verified and unpacked.
 * Concurrent pulls of one image, one blob or one layer stack share the work. A failed pull
 * removes the snapshots and blobs it created. Image GC takes the write side of {@code gcLock};
 * pulls hold the read side, so GC never deletes what a pull is about to reference. Each pull
 * runs on a virtual thread of its own, watched by the {@link PullWatchdog}: a pull whose
 * transfers all went silent is interrupted (which closes its sockets) and undone. Thread-safe.
 */
public final class ImagePuller implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ImagePuller.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BLOB_ATTEMPTS = 3;

  private final RegistryClient registry;
  private final ContentStore content;
  private final Snapshotter snapshots;
  private final LayerApplier applier;
  private final ImageStore images;
  private final Platform platform;
  private final Semaphore downloadSlots;
  private final ReadWriteLock gcLock;
  /** The download executors of the pulls under way, stopped by {@link #close}. */
  private final Set<ExecutorService> pullDownloads = ConcurrentHashMap.newKeySet();
  private final SingleFlight<ImageRecord> imagePulls = new SingleFlight<>();
  private final SingleFlight<Boolean> blobTransfers = new SingleFlight<>();
  private final SingleFlight<Boolean> unpacks = new SingleFlight<>();
  private final PullWatchdog watchdog;
  private final PullWatchdog.Transfers transfers = new PullWatchdog.Transfers();

  /** Without a progress timeout. */
  public ImagePuller(RegistryClient registry, ContentStore content, Snapshotter snapshots, LayerApplier applier,
      ImageStore images, Platform platform, int maxConcurrentDownloads, ReadWriteLock gcLock) {
    this(registry, content, snapshots, applier, images, platform, maxConcurrentDownloads, gcLock, PullWatchdog.off());
  }

  /** With {@code watchdog} cancelling pulls that make no progress; {@link #close} closes it. */
  public ImagePuller(RegistryClient registry, ContentStore content, Snapshotter snapshots, LayerApplier applier,
      ImageStore images, Platform platform, int maxConcurrentDownloads, ReadWriteLock gcLock,
      PullWatchdog watchdog) {
    this.watchdog = watchdog;
    this.registry = registry;
    this.content = content;
    this.snapshots = snapshots;
    this.applier = applier;
    this.images = images;
    this.platform = platform;
    this.downloadSlots = new Semaphore(Math.max(1, maxConcurrentDownloads));
    this.gcLock = gcLock;
  }

  /** Pulls {@code reference} and returns the image as recorded. */
  public ImageRecord pull(String reference, Credentials credentials) {
    ImageReference ref = ImageReference.parse(reference);
    return imagePulls.run(ref.toString(), () -> watched(ref, credentials));
  }

  /**
   * Runs the pull on a thread of its own that the watchdog can interrupt: a socket read of a
   * virtual thread ends when the thread is interrupted, wherever the pull is. The caller then
   * gets the watchdog's reason, with what the interrupted pull threw as the cause.
   */
  private ImageRecord watched(ImageReference ref, Credentials credentials) {
    try (PullWatchdog.Watch watch = watchdog.watch(ref.toString())) {
      FutureTask<ImageRecord> body = new FutureTask<>(() -> {
        gcLock.readLock().lock();
        try {
          return pullLocked(ref, credentials, watch);
        } finally {
          gcLock.readLock().unlock();
        }
      });
      Thread thread = Thread.ofVirtual().name("pull " + ref).unstarted(body);
      watch.onExpiry(thread::interrupt);
      thread.start();
      try {
        return body.get();
      } catch (InterruptedException e) {
        // The caller gave up: the pull stops too, and is undone before the caller returns.
        thread.interrupt();
        joinUninterruptibly(thread);
        Thread.currentThread().interrupt();
        throw new ImageException.Unavailable("pull of " + ref + " interrupted", e);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (watch.expired()) {
          throw new ImageException.Unavailable(watch.reason(), cause);
        }
        if (cause instanceof RuntimeException r) {
          throw r;
        }
        if (cause instanceof Error err) {
          throw err;
        }
        throw new IllegalStateException(cause);
      }
    }
  }

  private static void joinUninterruptibly(Thread thread) {
    boolean interrupted = false;
    while (true) {
      try {
        thread.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private ImageRecord pullLocked(ImageReference ref, Credentials credentials, PullWatchdog.Watch watch) {
    long started = System.nanoTime();
    if (ref.digest() == null) {
      // A tag may have moved: ask for its digest only; an image we already have ends the pull.
      var current = watched(watch, () -> registry.manifestDigest(ref, ref.tag(), credentials));
      if (current.isPresent()) {
        ImageRecord unchanged = knownImage(ref, current.get(), List.of(current.get()));
        if (unchanged != null) {
          return unchanged;
        }
      }
    } else {
      ImageRecord unchanged = knownImage(ref, ref.digest(), List.of(ref.digest()));
      if (unchanged != null) {
        return unchanged;
      }
    }
    FetchedManifest top = watched(watch, () -> registry.manifest(ref, ref.manifestReference(), credentials,
        watch::received));
    ImageRecord unchanged = knownImage(ref, top.digest(), List.of(top.digest()));
    if (unchanged != null) {
      return unchanged;
    }
    List<String> manifestDigests = new ArrayList<>(List.of(top.digest().toString()));
    Manifest manifest = parse(ref, top);
    FetchedManifest chosen = top;
    if (MediaTypes.INDEXES.contains(mediaType(top, manifest))) {
      Descriptor entry = selectPlatform(ref, manifest);
      chosen = watched(watch, () -> registry.manifest(ref, entry.digest(), credentials, watch::received));
      manifest = parse(ref, chosen);
      if (!MediaTypes.MANIFESTS.contains(mediaType(chosen, manifest))) {
        throw new ImageException.InvalidContent(
            "index entry " + entry.digest() + " of " + ref + " is not an image manifest");
      }
      manifestDigests.add(chosen.digest().toString());
      unchanged = knownImage(ref, top.digest(), List.of(top.digest(), chosen.digest()));
      if (unchanged != null) {
        return unchanged;
      }
    }
    validate(ref, manifest);

    try (PullUndo undo = new PullUndo(watch)) {
      storeSmall(ref, chosen, top, undo);
      Descriptor configDescriptor = manifest.config();
      byte[] configBytes = fetchSmallBlob(ref, chosen.endpoint(), configDescriptor, credentials, undo);
      ImageConfig config = parseConfig(ref, configBytes);
      List<Descriptor> layers = manifest.layers();
      if (config.diffIds().size() != layers.size()) {
        throw new ImageException.InvalidContent("image " + ref + " has " + layers.size()
            + " layers but its config lists "
            + config.diffIds().size() + " diff IDs");
      }
      List<String> chainIds = ChainIds.of(config.diffIds());
      unpackLayers(ref, chosen.endpoint(), layers, config.diffIds(), chainIds, credentials, undo);

      long size = configDescriptor.size() + layers.stream().mapToLong(Descriptor::size).sum();
      ImageRecord record = images.add(new ImageRecord(configDescriptor.digest(),
          ref.tag() != null ? List.of(ref.tagged()) : List.of(),
          List.of(ref.withDigest(top.digest())), size, manifestDigests,
          layers.stream().map(Descriptor::digest).toList(), chainIds, config, false));
      undo.commit();
      log.info("pulled image={} id={} layers={} bytes={} duration_ms={}", ref, record.id(), layers.size(), size,
          (System.nanoTime() - started) / 1_000_000);
      return record;
    }
  }

  /** Runs {@code request}, a transfer of the pull on this thread, as open for the watchdog. */
  private static <T> T watched(PullWatchdog.Watch watch, Supplier<T> request) {
    watch.opened();
    try {
      return request.get();
    } finally {
      watch.closed();
    }
  }

  /** An image already resolved from this very manifest: only its references are added. */
  private ImageRecord knownImage(ImageReference ref, Digest topDigest, List<Digest> manifests) {
    for (Digest manifest : manifests.reversed()) {
      var known = images.findByManifest(manifest);
      if (known.isPresent() && snapshotsPresent(known.get())) {
        ImageRecord image = known.get();
        return images.add(image.withReferences(
            ref.tag() != null ? List.of(ref.tagged()) : List.of(),
            List.of(ref.withDigest(topDigest)),
            manifests.stream().map(Digest::toString).toList()));
      }
    }
    return null;
  }

  private boolean snapshotsPresent(ImageRecord image) {
    try {
      return image.topChainId() == null || snapshots.stat(image.topChainId()) != null;
    } catch (SnapshotException.NotFound e) {
      return false;
    }
  }

  private static String mediaType(FetchedManifest fetched, Manifest manifest) {
    if (manifest.mediaType() != null && !manifest.mediaType().isEmpty()) {
      return manifest.mediaType();
    }
    if (!fetched.mediaType().isEmpty() && !fetched.mediaType().equals("application/json")) {
      return fetched.mediaType();
    }
    // Neither says: an index has "manifests", an image manifest has "config".
    return manifest.manifests().isEmpty() ? MediaTypes.OCI_MANIFEST : MediaTypes.OCI_INDEX;
  }

  private static Manifest parse(ImageReference ref, FetchedManifest fetched) {
    String served = fetched.mediaType();
    if (served.equals(MediaTypes.DOCKER_SCHEMA1) || served.equals(MediaTypes.DOCKER_SCHEMA1_SIGNED)) {
      throw new ImageException.InvalidContent(
          "image " + ref + " uses a Docker schema 1 manifest, which berth does not support");
    }
    Manifest manifest;
    try {
      manifest = JSON.readValue(fetched.content(), Manifest.class);
    } catch (RuntimeException e) {
      throw new ImageException.InvalidContent(
          "manifest " + fetched.digest() + " of " + ref + " is not valid JSON: " + e.getMessage(), e);
    }
    if (manifest.schemaVersion() != 2) {
      throw new ImageException.InvalidContent("manifest of " + ref + " has schemaVersion " + manifest.schemaVersion()
          + "; only schema 2 (OCI and Docker) is supported");
    }
    String type = mediaType(fetched, manifest);
    if (!MediaTypes.MANIFESTS.contains(type) && !MediaTypes.INDEXES.contains(type)) {
      throw new ImageException.InvalidContent("manifest of " + ref + " has unsupported media type " + type);
    }
    return manifest;
  }

  private Descriptor selectPlatform(ImageReference ref, Manifest index) {
    List<Descriptor> candidates = index.manifests().stream()
        .filter(d -> platform.accepts(d.platform()))
        .filter(d -> d.mediaType() == null || MediaTypes.MANIFESTS.contains(d.mediaType()))
        .toList();
    if (candidates.isEmpty()) {
      List<String> offered = index.manifests().stream()
          .map(d -> d.platform() == null ? "unknown" : d.platform().toString()).toList();
      throw new ImageException.NotFound(
          "image " + ref + " has no manifest for platform " + platform + " (it offers " + offered + ")");
    }
    return candidates.stream()
        .filter(d -> platform.variant() != null && platform.variant().equals(d.platform().variant()))
        .findFirst()
        .orElse(candidates.getFirst());
  }

  private static void validate(ImageReference ref, Manifest manifest) {
    if (manifest.config() == null || !MediaTypes.CONFIGS.contains(manifest.config().mediaType())) {
      throw new ImageException.InvalidContent("manifest of " + ref + " has no image config (config media type "
          + (manifest.config() == null ? "missing" : manifest.config().mediaType()) + ")");
    }
    Digest.parse(manifest.config().digest());
    for (Descriptor layer : manifest.layers()) {
      if (!MediaTypes.LAYERS.contains(layer.mediaType())) {
        throw new ImageException.InvalidContent("image " + ref + " has layer " + layer.digest()
            + " of unsupported media type " + layer.mediaType());
      }
      Digest.parse(layer.digest());
      if (layer.size() < 0) {
        throw new ImageException.InvalidContent("layer " + layer.digest() + " of " + ref + " has a negative size");
      }
    }
  }

  private static ImageConfig parseConfig(ImageReference ref, byte[] bytes) {
    try {
      return JSON.readValue(bytes, ImageConfig.class);
    } catch (RuntimeException e) {
      throw new ImageException.InvalidContent("config of " + ref + " is not valid JSON: " + e.getMessage(), e);
    }
  }

  private void storeSmall(ImageReference ref, FetchedManifest chosen, FetchedManifest top, PullUndo undo) {
    for (FetchedManifest m : List.of(top, chosen)) {
      if (!content.contains(m.digest())) {
        content.put(m.digest(), m.content());
        undo.createdBlobs.add(m.digest());
      }
    }
  }

  private byte[] fetchSmallBlob(ImageReference ref, Endpoint endpoint, Descriptor descriptor, Credentials credentials,
      PullUndo undo) {
    Digest digest = Digest.parse(descriptor.digest());
    if (descriptor.size() > RegistryClient.MAX_MANIFEST_BYTES) {
      throw new ImageException.InvalidContent("config " + digest + " of " + ref + " is " + descriptor.size()
          + " bytes, over the " + RegistryClient.MAX_MANIFEST_BYTES + "-byte limit");
    }
    if (!content.contains(digest)) {
      download(ref, endpoint, descriptor, credentials, undo);
    }
    return content.read(digest);
  }

  /** Downloads missing layers in parallel, unpacking each in order as soon as it is there. */
  private void unpackLayers(ImageReference ref, Endpoint endpoint, List<Descriptor> layers, List<String> diffIds,
      List<String> chainIds, Credentials credentials, PullUndo undo) {
    int firstMissing = layers.size();
    for (int i = layers.size() - 1; i >= 0; i--) {
      if (!snapshotExists(chainIds.get(i))) {
        firstMissing = i;
      } else {
        break; // this chain exists, so every chain below it does too
      }
    }
    if (firstMissing == layers.size()) {
      return;
    }
    long total = layers.subList(firstMissing, layers.size()).stream().mapToLong(Descriptor::size).sum();
    AtomicLong done = new AtomicLong();
    List<Future<?>> downloads = new ArrayList<>();
    List<CompletableFuture<Ingest>> started = new ArrayList<>();
    for (int i = firstMissing; i < layers.size(); i++) {
      Descriptor layer = layers.get(i);
      CompletableFuture<Ingest> transfer = new CompletableFuture<>();
      started.add(transfer);
      downloads.add(undo.downloads.submit(() -> {
        try {
          if (!content.contains(Digest.parse(layer.digest()))) {
            download(ref, endpoint, layer, credentials, undo, transfer);
          }
        } finally {
          transfer.complete(null); // no transfer of our own to follow
        }
        return null;
      }));
    }
    for (int i = firstMissing; i < layers.size(); i++) {
      Descriptor layer = layers.get(i);
      String parent = i == 0 ? null : chainIds.get(i - 1);
      String chainId = chainIds.get(i);
      String diffId = diffIds.get(i);
      Future<?> download = downloads.get(i - firstMissing);
      CompletableFuture<Ingest> transfer = started.get(i - firstMissing);
      boolean created = unpacks.run(chainId, () -> unpack(layer, parent, chainId, diffId, download, transfer));
      if (created) {
        undo.createdSnapshots.add(chainId);
      }
      long bytes = done.addAndGet(layer.size());
      log.info("pull progress image={} layers={}/{} bytes={}/{}", ref, i - firstMissing + 1,
          layers.size() - firstMissing, bytes, total);
    }
  }

  private boolean snapshotExists(String chainId) {
    try {
      snapshots.stat(chainId);
      return true;
    } catch (SnapshotException.NotFound e) {
      return false;
    }
  }

  /**
   * Unpacks one layer into a new committed snapshot, reading it while it still downloads when
   * this pull is the one downloading it; returns false if another pull made it first. The
   * snapshot is committed only after the download verified the blob.
   */
  private boolean unpack(Descriptor layer, String parent, String chainId, String diffId, Future<?> download,
      CompletableFuture<Ingest> transfer) {
    if (snapshotExists(chainId)) {
      awaitDownload(download);
      return false;
    }
    String key = OverlaySnapshotter.EXTRACT_PREFIX + UUID.randomUUID();
    snapshots.prepare(key, parent);
    log.debug("unpack started layer={} chain={}", layer.digest(), chainId);
    try (InputStream blob = layerSource(layer, download, transfer)) {
      try {
        applier.apply(blob, layer.mediaType(), snapshots.layerDirs(key), diffId);
      } catch (SnapshotException e) {
        awaitDownload(download); // a failed transfer explains a failed unpack better
        throw e;
      }
      awaitDownload(download);
      snapshots.commit(chainId, key);
      log.debug("unpack committed layer={} chain={}", layer.digest(), chainId);
      return true;
    } catch (IOException e) {
      throw new ImageException.StorageFailure("cannot read layer " + layer.digest() + ": " + e.getMessage(), e);
    } finally {
      try {
        snapshots.remove(key); // gone already after a commit
      } catch (SnapshotException.NotFound committed) {
        // the key was committed under the chain ID
      }
    }
  }

  /** The layer's bytes: following its transfer while it runs, or from the content store. */
  private InputStream layerSource(Descriptor layer, Future<?> download, CompletableFuture<Ingest> transfer) {
    Ingest running;
    try {
      running = transfer.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ImageException.Unavailable("pull interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("the start of a transfer is never completed exceptionally", e);
    }
    if (running != null) {
      try {
        return running.follow();
      } catch (IOException finishedMeanwhile) {
        // the partial file was already renamed into the store
      }
    }
    awaitDownload(download);
    return content.open(Digest.parse(layer.digest()));
  }

  private void download(ImageReference ref, Endpoint endpoint, Descriptor descriptor, Credentials credentials,
      PullUndo undo) {
    download(ref, endpoint, descriptor, credentials, undo, new CompletableFuture<>());
  }

  /**
   * Downloads one blob, or waits for the pull already downloading it. Either way this pull's
   * watch follows the transfer: its bytes count as this pull's progress. When the pull running
   * it is cancelled for its own lack of progress, a sharer that is still moving runs it itself.
   */
  private void download(ImageReference ref, Endpoint endpoint, Descriptor descriptor, Credentials credentials,
      PullUndo undo, CompletableFuture<Ingest> started) {
    Digest digest = Digest.parse(descriptor.digest());
    PullWatchdog.Transfer transfer = transfers.join(digest.toString(), undo.watch);
    try {
      while (true) {
        try {
          download(ref, endpoint, descriptor, credentials, undo, started, digest, transfer);
          return;
        } catch (RuntimeException e) {
          if (!transfer.abandonedWith(e) || undo.watch.expired() || Thread.currentThread().isInterrupted()) {
            throw e;
          }
          log.info("blob transfer of a cancelled pull taken over blob={} image={}", digest, ref);
        }
      }
    } finally {
      transfers.leave(digest.toString(), transfer, undo.watch);
    }
  }

  private void download(ImageReference ref, Endpoint endpoint, Descriptor descriptor, Credentials credentials,
      PullUndo undo, CompletableFuture<Ingest> started, Digest digest, PullWatchdog.Transfer transfer) {
    boolean created = blobTransfers.run(digest.toString(), () -> {
      if (content.contains(digest)) {
        return false;
      }
      try {
        downloadSlots.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ImageException.Unavailable("pull of " + ref + " interrupted waiting for a download slot", e);
      }
      // Open for the watchdog from the first request to the last retry: retries do not restart its clock.
      transfer.open();
      try (Ingest ingest = content.ingest(digest, descriptor.size())) {
        return transferInto(ingest, ref, endpoint, descriptor, credentials, started, digest, transfer);
      } catch (RuntimeException e) {
        if (undo.watch.expired()) {
          transfer.abandon(e); // this pull's sharers get e, and know to run the transfer themselves
        }
        throw e;
      } finally {
        transfer.close();
        downloadSlots.release();
      }
    });
    if (created) {
      undo.createdBlobs.add(digest);
    }
  }

  /** Writes the blob into {@code ingest}, resuming with Range up to {@link #BLOB_ATTEMPTS} times, and commits it. */
  private boolean transferInto(Ingest ingest, ImageReference ref, Endpoint endpoint, Descriptor descriptor,
      Credentials credentials, CompletableFuture<Ingest> started, Digest digest, PullWatchdog.Transfer transfer) {
    started.complete(ingest);
    for (int attempt = 1; ; attempt++) {
      try {
        registry.blob(ref, endpoint, descriptor, ingest.offset(), credentials, (body, start) -> {
          transfer.received(0);
          if (start == 0 && ingest.offset() > 0) {
            ingest.reset(); // the server ignored our Range: start over
          }
          ingest.write(new CountingInputStream(body, transfer::received));
        });
        break;
      } catch (ImageException.Unavailable e) {
        if (attempt >= BLOB_ATTEMPTS || Thread.currentThread().isInterrupted()) {
          throw e; // out of attempts, or the pull was cancelled
        }
        log.info("blob transfer interrupted, resuming blob={} image={} offset={} attempt={} error={}", digest, ref,
            ingest.offset(), attempt + 1, e.getMessage());
      }
    }
    ingest.commit();
    log.debug("blob downloaded blob={} bytes={}", digest, descriptor.size());
    return true;
  }

  private static void awaitDownload(Future<?> download) {
    try {
      download.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ImageException.Unavailable("pull interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new ImageException.Unavailable("layer download failed: " + e.getCause(), e.getCause());
    } catch (CancellationException e) {
      throw new ImageException.Unavailable("layer download cancelled", e);
    }
  }

  /**
   * What a pull created, undone when it fails: downloads are interrupted and awaited to their
   * end, then snapshots (newest first) and blobs removed. Snapshots and blobs that another image
   * meanwhile references are not this pull's alone; the collector decides about those.
   */
  private final class PullUndo implements AutoCloseable {
    /**
     * This pull's downloads. Closing it waits until every one has ended: a cancelled Future
     * returns at once while its task still runs, and a download finishing after the undo
     * would leave its blob behind.
     */
    final ExecutorService downloads = Executors.newVirtualThreadPerTaskExecutor();
    final List<String> createdSnapshots = new ArrayList<>();
    final List<Digest> createdBlobs = Collections.synchronizedList(new ArrayList<>());
    final PullWatchdog.Watch watch;
    private boolean committed;

    PullUndo(PullWatchdog.Watch watch) {
      this.watch = watch;
      pullDownloads.add(downloads);
      // A cancelled pull's downloads stop at once, not when the pull thread next looks at them.
      watch.onExpiry(downloads::shutdownNow);
    }

    void commit() {
      committed = true;
    }

    @Override
    public void close() {
      if (!committed) {
        downloads.shutdownNow();
      }
      downloads.close(); // after a commit every download has ended already
      pullDownloads.remove(downloads);
      if (committed) {
        return;
      }
      List<String> referencedChains = images.list().stream().flatMap(i -> i.chainIds().stream()).toList();
      for (String chainId : createdSnapshots.reversed()) {
        if (!referencedChains.contains(chainId)) {
          try {
            snapshots.remove(chainId);
          } catch (SnapshotException e) {
            log.warn("cannot undo snapshot of failed pull chain={} error={}", chainId, e.getMessage());
          }
        }
      }
      List<String> referencedBlobs = images.list().stream()
          .flatMap(i -> Stream.concat(Stream.of(i.id()), Stream.concat(i.layers().stream(), i.manifests().stream())))
          .toList();
      for (Digest blob : List.copyOf(createdBlobs)) {
        if (!referencedBlobs.contains(blob.toString())) {
          content.delete(blob);
        }
      }
    }
  }

  /** How many pulls wait on the download of blob {@code digest} now, for tests. */
  int pullsWaitingOn(String digest) {
    return transfers.users(digest);
  }

  @Override
  public void close() {
    watchdog.close();
    pullDownloads.forEach(ExecutorService::shutdownNow);
  }
}
