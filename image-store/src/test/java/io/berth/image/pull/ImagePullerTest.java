package io.berth.image.pull;

import static io.berth.image.pull.TestImages.corrupted;
import static io.berth.image.pull.TestImages.layer;
import static io.berth.image.pull.TestImages.publish;
import static io.berth.image.registry.FakeRegistryTransport.blobUrl;
import static io.berth.image.registry.FakeRegistryTransport.manifestUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.image.ImageException;
import io.berth.image.content.LocalContentStore;
import io.berth.image.oci.Platform;
import io.berth.image.pull.TestImages.Image;
import io.berth.image.pull.TestImages.Layer;
import io.berth.image.ref.Digest;
import io.berth.image.registry.Credentials;
import io.berth.image.registry.FakeRegistryTransport;
import io.berth.image.registry.RegistryClient;
import io.berth.image.registry.RegistryHosts;
import io.berth.image.store.ImageRecord;
import io.berth.image.store.ImageStore;
import io.berth.snapshot.SnapshotInfo;
import io.berth.snapshot.apply.LayerApplier;
import io.berth.snapshot.overlay.OverlaySnapshotter;
import io.berth.sys.LinuxSyscalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls from an in-memory registry into a real content store and snapshotter in a temporary
 * directory (no root: the layers' files belong to the test's user). After every kind of
 * registry failure the pull fails with the matching {@link ImageException}, and leaves no
 * image record, blob, partial download or snapshot behind.
 */
class ImagePullerTest {
  static final String HOST = "registry.test";
  static final String REPO = "library/app";
  static final String REFERENCE = HOST + "/" + REPO + ":1";

  @TempDir Path root;
  final FakeRegistryTransport fake = new FakeRegistryTransport();
  LocalContentStore content;
  OverlaySnapshotter snapshots;
  ImageStore images;
  ImagePuller puller;

  final Layer base = layer("base.txt", "the base layer");
  final Layer top = layer("top.txt", "the top layer, a little longer so that it can be cut in the middle");

  @BeforeEach
  void open() {
    content = new LocalContentStore(root.resolve("content"));
    snapshots = new OverlaySnapshotter(root.resolve("snapshots"), Duration.ofHours(1));
    images = new ImageStore(root.resolve("images"), List.of());
    puller = puller(Platform.LINUX_AMD64);
  }

  private ImagePuller puller(Platform platform) {
    RegistryClient registry = new RegistryClient(RegistryHosts.none(), fake, Duration.ofSeconds(30));
    return new ImagePuller(registry, content, snapshots, new LayerApplier(new LinuxSyscalls()), images, platform, 3,
        new ReentrantReadWriteLock());
  }

  @AfterEach
  void close() {
    puller.close();
    snapshots.close();
  }

  // ---- the pull that works, for reference

  @Test
  void pullVerifiesStoresUnpacksAndRecords() throws Exception {
    Image image = publish(fake, HOST, REPO, "1", "amd64", base, top);

    ImageRecord record = puller.pull(REFERENCE, Credentials.NONE);

    assertThat(images.find(REFERENCE)).contains(record);
    assertThat(record.id()).isEqualTo(image.configDigest());
    assertThat(record.layers()).containsExactly(base.digest(), top.digest());
    assertThat(content.list()).extracting(Digest::toString)
        .containsExactlyInAnyOrder(image.manifestDigest(), image.configDigest(), base.digest(), top.digest());
    assertThat(ingestFiles()).isEmpty();
    List<SnapshotInfo> all = snapshotList();
    assertThat(all).extracting(SnapshotInfo::key).containsExactlyInAnyOrderElementsOf(record.chainIds());
    assertThat(all).allSatisfy(s -> assertThat(s.kind()).isEqualTo(SnapshotInfo.Kind.COMMITTED));
    snapshots.prepare("rootfs", record.topChainId());
    List<Path> layers = snapshots.layerDirs("rootfs").lowers();
    assertThat(Files.readString(layers.getFirst().resolve("top.txt"))).startsWith("the top layer");
    assertThat(Files.readString(layers.getLast().resolve("base.txt"))).isEqualTo("the base layer");
  }

  @Test
  void transferCutOnceIsResumedWhereItStopped() {
    publish(fake, HOST, REPO, "1", "amd64", base, top);
    String url = blobUrl(HOST, REPO, top.digest());
    fake.routeOnce(url, FakeRegistryTransport.cutAfter(top.blob(), 20));

    puller.pull(REFERENCE, Credentials.NONE);

    assertThat(fake.requestsFor(url)).hasSize(2);
    assertThat(fake.requestsFor(url).getLast().header("Range")).contains("bytes=20-");
    assertThat(ingestFiles()).isEmpty();
  }

  // ---- platforms

  @Test
  void indexEntryForTheNodesPlatformIsPulled() {
    Image amd64 = publish(fake, HOST, REPO, null, "amd64", base);
    Image arm64 = publish(fake, HOST, REPO, null, "arm64", top);
    Map<String, Image> byPlatform = new LinkedHashMap<>();
    byPlatform.put("linux/arm64/v8", arm64);
    byPlatform.put("linux/amd64", amd64);
    String index = TestImages.publishIndex(fake, HOST, REPO, "1", byPlatform);

    ImageRecord record = puller.pull(REFERENCE, Credentials.NONE);

    assertThat(record.id()).isEqualTo(amd64.configDigest());
    assertThat(record.manifests()).containsExactly(index, amd64.manifestDigest());
    assertThat(record.repoDigests()).containsExactly(HOST + "/" + REPO + "@" + index);
    assertThat(fake.requestsFor(manifestUrl(HOST, REPO, arm64.manifestDigest()))).isEmpty();
  }

  @Test
  void indexEntryOfTheDefaultVariantServesANodeThatNamesNone() {
    Image armV7 = publish(fake, HOST, REPO, null, "arm", base);
    Image arm64 = publish(fake, HOST, REPO, null, "arm64", top);
    Map<String, Image> byPlatform = new LinkedHashMap<>();
    byPlatform.put("linux/arm/v7", armV7);
    byPlatform.put("linux/arm64/v8", arm64);
    TestImages.publishIndex(fake, HOST, REPO, "1", byPlatform);
    puller.close();
    puller = puller(Platform.parse("linux/arm64"));

    assertThat(puller.pull(REFERENCE, Credentials.NONE).id()).isEqualTo(arm64.configDigest());
  }

  @Test
  void indexWithoutTheNodesPlatformIsNotFoundAndStoresNothing() {
    Image arm64 = publish(fake, HOST, REPO, null, "arm64", top);
    TestImages.publishIndex(fake, HOST, REPO, "1", Map.of("linux/arm64", arm64));

    assertThatThrownBy(() -> puller.pull(REFERENCE, Credentials.NONE))
        .isInstanceOf(ImageException.NotFound.class)
        .hasMessageContaining("has no manifest for platform linux/amd64 (it offers [linux/arm64");
    assertNothingLeft();
  }

  // ---- failures, each leaving nothing behind

  @Test
  void missingManifestIsNotFound() {
    publish(fake, HOST, REPO, "1", "amd64", base);

    assertThatThrownBy(() -> puller.pull(HOST + "/" + REPO + ":2", Credentials.NONE))
        .isInstanceOf(ImageException.NotFound.class)
        .hasMessageContaining("manifest registry.test/library/app:2 not found");
    assertNothingLeft();
  }

  @Test
  void manifestWithOtherBytesThanItsDigestIsInvalidContent() {
    Image image = publish(fake, HOST, REPO, "1", "amd64", base);
    byte[] other = corrupted(image.manifest());
    fake.route(manifestUrl(HOST, REPO, image.manifestDigest()), FakeRegistryTransport.ok(other));

    assertThatThrownBy(() -> puller.pull(HOST + "/" + REPO + "@" + image.manifestDigest(), Credentials.NONE))
        .isInstanceOf(ImageException.InvalidContent.class)
        .hasMessageContaining("has digest");
    assertNothingLeft();
  }

  @Test
  void configWithOtherBytesThanItsDigestIsInvalidContent() {
    Image image = publish(fake, HOST, REPO, "1", "amd64", base, top);
    fake.route(blobUrl(HOST, REPO, image.configDigest()), FakeRegistryTransport.ok(corrupted(image.config())));

    assertThatThrownBy(() -> puller.pull(REFERENCE, Credentials.NONE))
        .isInstanceOf(ImageException.InvalidContent.class)
        .hasMessageContaining("blob " + image.configDigest() + " arrived with digest");
    assertNothingLeft();
  }

  @Test
  void layerWithOtherBytesThanItsDigestIsInvalidContent() {
    publish(fake, HOST, REPO, "1", "amd64", base, top);
    fake.route(blobUrl(HOST, REPO, top.digest()), FakeRegistryTransport.ok(corrupted(top.blob())));

    assertThatThrownBy(() -> puller.pull(REFERENCE, Credentials.NONE))
        .isInstanceOf(ImageException.InvalidContent.class)
        .hasMessageContaining("blob " + top.digest() + " arrived with digest");
    assertNothingLeft();
  }

  @Test
  void layerLongerThanItsDescriptorIsInvalidContent() {
    publish(fake, HOST, REPO, "1", "amd64", base, top);
    byte[] longer = Arrays.copyOf(top.blob(), top.blob().length + 1);
    fake.route(blobUrl(HOST, REPO, top.digest()), FakeRegistryTransport.ok(longer));

    assertThatThrownBy(() -> puller.pull(REFERENCE, Credentials.NONE))
        .isInstanceOf(ImageException.InvalidContent.class)
        .hasMessageContaining("is longer than the " + top.blob().length + " bytes its descriptor says");
    assertNothingLeft();
  }

  @Test
  void layerCutMidStreamOnEveryAttemptIsUnavailable() {
    publish(fake, HOST, REPO, "1", "amd64", base, top);
    String url = blobUrl(HOST, REPO, top.digest());
    fake.route(url, FakeRegistryTransport.cutAfter(top.blob(), 20));

    assertThatThrownBy(() -> puller.pull(REFERENCE, Credentials.NONE))
        .isInstanceOf(ImageException.Unavailable.class)
        .hasMessageContaining("Connection reset");
    assertThat(fake.requestsFor(url)).hasSize(3);
    assertNothingLeft();
  }

  @Test
  void stalledLayerIsUnavailable() {
    publish(fake, HOST, REPO, "1", "amd64", base, top);
    fake.route(blobUrl(HOST, REPO, top.digest()), FakeRegistryTransport.stallAfter(top.blob(), 20));

    assertThatThrownBy(() -> puller.pull(REFERENCE, Credentials.NONE))
        .isInstanceOf(ImageException.Unavailable.class)
        .hasMessageContaining("transfer abandoned");
    assertNothingLeft();
  }

  @Test
  void serverErrorOnALayerIsUnavailableAfterTheRetries() {
    publish(fake, HOST, REPO, "1", "amd64", base, top);
    String url = blobUrl(HOST, REPO, base.digest());
    fake.route(url, FakeRegistryTransport.error(500, "INTERNAL", "storage backend failed"));

    assertThatThrownBy(() -> puller.pull(REFERENCE, Credentials.NONE))
        .isInstanceOf(ImageException.Unavailable.class)
        .hasMessageContaining("(registry.test answered HTTP 500: INTERNAL: storage backend failed)");
    assertThat(fake.requestsFor(url)).hasSize(3);
    assertNothingLeft();
  }

  @Test
  void missingLayerIsNotFound() {
    publish(fake, HOST, REPO, "1", "amd64", base, top);
    fake.route(blobUrl(HOST, REPO, top.digest()), FakeRegistryTransport.error(404, "BLOB_UNKNOWN", "blob unknown"));

    assertThatThrownBy(() -> puller.pull(REFERENCE, Credentials.NONE))
        .isInstanceOf(ImageException.NotFound.class)
        .hasMessageContaining("blob " + top.digest() + " of registry.test/library/app not found");
    assertNothingLeft();
  }

  @Test
  void refusedCredentialsAreUnauthenticated() {
    publish(fake, HOST, REPO, "1", "amd64", base);
    fake.requireBearer(HOST, "https://auth.test/token", HOST);
    fake.addUser("alice", "secret");

    assertThatThrownBy(() -> puller.pull(REFERENCE, new Credentials("alice", "wrong", null, null)))
        .isInstanceOf(ImageException.Unauthenticated.class)
        .hasMessageContaining("refused user alice");
    assertNothingLeft();
  }

  @Test
  void layerDeniedAfterTheManifestIsUnauthenticated() {
    publish(fake, HOST, REPO, "1", "amd64", base, top);
    fake.route(blobUrl(HOST, REPO, top.digest()),
        FakeRegistryTransport.error(403, "DENIED", "requested access denied"));

    assertThatThrownBy(() -> puller.pull(REFERENCE, Credentials.NONE))
        .isInstanceOf(ImageException.Unauthenticated.class)
        .hasMessageContaining("access denied (registry.test answered HTTP 403: DENIED: requested access denied)");
    assertNothingLeft();
  }

  @Test
  void downloadStillRunningWhenAnotherLayerFailsIsAwaitedAndUndone() {
    publish(fake, HOST, REPO, "1", "amd64", base, top);
    CountDownLatch topStarted = new CountDownLatch(1);
    fake.route(blobUrl(HOST, REPO, base.digest()), request -> {
      awaitUninterruptibly(topStarted);
      return FakeRegistryTransport.error(404, "BLOB_UNKNOWN", "blob unknown").answer(request);
    });
    fake.route(blobUrl(HOST, REPO, top.digest()), request -> {
      topStarted.countDown();
      try {
        new CountDownLatch(1).await(); // until the failed pull cancels this download
      } catch (InterruptedException cancelled) {
        // bytes already on their way still arrive: the download goes on to its end
      }
      return FakeRegistryTransport.ok(top.blob()).answer(request);
    });

    assertThatThrownBy(() -> puller.pull(REFERENCE, Credentials.NONE))
        .isInstanceOf(ImageException.NotFound.class);
    // Checked at once: the failed pull returns only after its downloads have ended.
    assertNothingLeft();
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    boolean interrupted = false;
    while (true) {
      try {
        latch.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void failedPullKeepsWhatAnotherImageUses() throws IOException {
    publish(fake, HOST, "library/other", "1", "amd64", base);
    ImageRecord other = puller.pull(HOST + "/library/other:1", Credentials.NONE);
    Set<Digest> blobsBefore = content.list();
    List<SnapshotInfo> snapshotsBefore = snapshotList();
    publish(fake, HOST, REPO, "1", "amd64", base, top);
    fake.route(blobUrl(HOST, REPO, top.digest()), FakeRegistryTransport.ok(corrupted(top.blob())));

    assertThatThrownBy(() -> puller.pull(REFERENCE, Credentials.NONE))
        .isInstanceOf(ImageException.InvalidContent.class);

    assertThat(images.list()).containsExactly(other);
    assertThat(content.list()).isEqualTo(blobsBefore);
    assertThat(snapshotList()).isEqualTo(snapshotsBefore);
    assertThat(ingestFiles()).isEmpty();
  }

  // ---- what must be left: nothing

  private void assertNothingLeft() {
    assertThat(images.list()).as("image records after\n%s", fake.describeRequests()).isEmpty();
    assertThat(images.find(REFERENCE)).isEmpty();
    assertThat(new ImageStore(root.resolve("images"), List.of()).list()).as("image records on disk").isEmpty();
    assertThat(files(root.resolve("images"))).as("image record files").isEmpty();
    assertThat(content.list()).as("blobs").isEmpty();
    assertThat(files(root.resolve("content/blobs/sha256"))).as("blob files").isEmpty();
    assertThat(ingestFiles()).as("partial downloads").isEmpty();
    assertThat(snapshotList()).as("snapshots").isEmpty();
    assertThat(files(root.resolve("snapshots"))).as("snapshot directories").isEmpty();
  }

  private List<SnapshotInfo> snapshotList() {
    List<SnapshotInfo> all = new ArrayList<>();
    snapshots.walk(all::add);
    return all;
  }

  private List<Path> ingestFiles() {
    return files(root.resolve("content/ingest"));
  }

  private static List<Path> files(Path dir) {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.toList();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
