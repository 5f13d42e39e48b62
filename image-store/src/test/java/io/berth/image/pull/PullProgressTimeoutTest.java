package io.berth.image.pull;

import static io.berth.image.pull.TestImages.layer;
import static io.berth.image.pull.TestImages.publish;
import static io.berth.image.registry.FakeRegistryTransport.blobUrl;
import static io.berth.image.registry.FakeRegistryTransport.manifestUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.image.ImageException;
import io.berth.image.content.LocalContentStore;
import io.berth.image.oci.Platform;
import io.berth.image.pull.TestImages.Layer;
import io.berth.image.registry.Credentials;
import io.berth.image.registry.FakeRegistryTransport;
import io.berth.image.registry.RegistryClient;
import io.berth.image.registry.RegistryHosts;
import io.berth.image.registry.RegistryTransport.Response;
import io.berth.image.ref.Digest;
import io.berth.image.store.ImageRecord;
import io.berth.image.store.ImageStore;
import io.berth.snapshot.apply.LayerApplier;
import io.berth.snapshot.overlay.OverlaySnapshotter;
import io.berth.sys.LinuxSyscalls;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pull progress timeout over the in-memory registry and a clock the test moves: a pull whose
 * transfers all went silent is cancelled (its transfers interrupted, everything it made
 * removed), a pull whose one layer trickles a byte at a time is not, however long it takes, and
 * neither is a pull that waits on another pull's moving download of a layer they share.
 */
class PullProgressTimeoutTest {
  static final String HOST = "registry.test";
  static final String REPO = "library/app";
  static final String REFERENCE = HOST + "/" + REPO + ":1";
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path root;
  final FakeRegistryTransport fake = new FakeRegistryTransport();
  final AtomicLong now = new AtomicLong(1_000);
  final PullWatchdog watchdog = PullWatchdog.manual(TIMEOUT, now::get);
  LocalContentStore content;
  OverlaySnapshotter snapshots;
  ImageStore images;
  ImagePuller puller;

  final Layer base = layer("base.txt", "the base layer");
  final Layer top = layer("top.txt", "the top layer, a little longer so that it can trickle for a while");

  @BeforeEach
  void open() {
    content = new LocalContentStore(root.resolve("content"));
    snapshots = new OverlaySnapshotter(root.resolve("snapshots"), Duration.ofHours(1));
    images = new ImageStore(root.resolve("images"), List.of());
    // A read timeout far above anything the test's clock reaches: only the watchdog can end a transfer.
    RegistryClient registry = new RegistryClient(RegistryHosts.none(), fake, Duration.ofHours(1));
    puller = new ImagePuller(registry, content, snapshots, new LayerApplier(new LinuxSyscalls()), images,
        Platform.LINUX_AMD64, 3, new ReentrantReadWriteLock(), watchdog);
  }

  @AfterEach
  void close() {
    puller.close();
    snapshots.close();
  }

  void advance(Duration by) {
    now.addAndGet(by.toNanos());
    watchdog.check();
  }

  CompletableFuture<ImageRecord> pullInBackground(String reference) {
    return CompletableFuture.supplyAsync(() -> puller.pull(reference, Credentials.NONE),
        command -> Thread.ofVirtual().start(command));
  }

  static Throwable failureOf(CompletableFuture<?> pull) throws Exception {
    try {
      pull.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("the pull succeeded");
  }

  @Test
  void aLayerThatStallsCancelsThePullAfterTheTimeoutAndLeavesNothing() throws Exception {
    publish(fake, HOST, REPO, "1", "amd64", base, top);
    CountDownLatch stalled = new CountDownLatch(1);
    fake.route(blobUrl(HOST, REPO, top.digest()), request -> stallingAfter(top.blob(), 20, stalled));

    CompletableFuture<ImageRecord> pull = pullInBackground(REFERENCE);
    assertThat(stalled.await(30, TimeUnit.SECONDS)).isTrue();
    // The base layer downloads alongside; its last byte must come before the clock moves, or it is progress.
    await().atMost(Duration.ofSeconds(30)).until(() -> content.contains(Digest.parse(base.digest())));
    advance(TIMEOUT.minusSeconds(1));
    assertThat(pull).isNotDone();
    advance(Duration.ofSeconds(1));

    assertThat(failureOf(pull)).isInstanceOf(ImageException.Unavailable.class)
        .hasMessageContaining("pull of " + REFERENCE + " cancelled")
        .hasMessageContaining("for 30 s");
    assertThat(fake.requestsFor(blobUrl(HOST, REPO, top.digest()))).as("no retry after the cancel").hasSize(1);
    assertNothingLeft();
    assertThat(watchdog.watching()).isZero();
  }

  @Test
  void aManifestThatNeverArrivesIsCancelledToo() throws Exception {
    publish(fake, HOST, REPO, "1", "amd64", base);
    CountDownLatch stalled = new CountDownLatch(1);
    fake.route(manifestUrl(HOST, REPO, "1"), request -> stallingAfter(new byte[100], 0, stalled));

    CompletableFuture<ImageRecord> pull = pullInBackground(REFERENCE);
    assertThat(stalled.await(30, TimeUnit.SECONDS)).isTrue();
    advance(TIMEOUT);

    assertThat(failureOf(pull)).isInstanceOf(ImageException.Unavailable.class)
        .hasMessageContaining(REFERENCE).hasMessageContaining("30 s");
    assertNothingLeft();
  }

  @Test
  void aLayerTricklingAByteAtATimeForManyTimeoutsCompletes() {
    publish(fake, HOST, REPO, "1", "amd64", base, top);
    long start = now.get();
    fake.route(blobUrl(HOST, REPO, top.digest()), request -> trickling(top.blob(), TIMEOUT.minusSeconds(5)));

    ImageRecord record = puller.pull(REFERENCE, Credentials.NONE);

    assertThat(record.layers()).containsExactly(base.digest(), top.digest());
    assertThat(Duration.ofNanos(now.get() - start)).as("time the pull took on the test's clock")
        .isGreaterThan(TIMEOUT.multipliedBy(20));
  }

  @Test
  void aPullWaitingOnAnotherPullsMovingDownloadIsNotCancelled() throws Exception {
    publish(fake, HOST, REPO, "1", "amd64", base, top);
    publish(fake, HOST, "library/other", "1", "amd64", top);
    CountDownLatch go = new CountDownLatch(1);
    FakeRegistryTransport.Handler trickle = request -> {
      awaitQuietly(go);
      return trickling(top.blob(), Duration.ofSeconds(10));
    };
    fake.route(blobUrl(HOST, REPO, top.digest()), trickle);
    fake.route(blobUrl(HOST, "library/other", top.digest()), trickle);

    CompletableFuture<ImageRecord> first = pullInBackground(REFERENCE);
    await().atMost(Duration.ofSeconds(30)).until(() -> puller.pullsWaitingOn(top.digest()) == 1);
    CompletableFuture<ImageRecord> second = pullInBackground(HOST + "/library/other:1");
    // The second pull's own transfers are done; all it waits on is the first pull's download.
    await().atMost(Duration.ofSeconds(30)).until(() -> puller.pullsWaitingOn(top.digest()) == 2);
    go.countDown();

    assertThat(first.get(30, TimeUnit.SECONDS).layers()).containsExactly(base.digest(), top.digest());
    assertThat(second.get(30, TimeUnit.SECONDS).layers()).containsExactly(top.digest());
    assertThat(fake.requests().stream().filter(r -> r.uri().getPath().endsWith("/blobs/" + top.digest())))
        .as("one download, shared").hasSize(1);
  }

  @Test
  void aPullWhoseSharedDownloadsRunnerIsCancelledDownloadsItItself() throws Exception {
    publish(fake, HOST, REPO, "1", "amd64", base, top);
    publish(fake, HOST, "library/other", "1", "amd64", top);
    CountDownLatch stalled = new CountDownLatch(1);
    fake.route(blobUrl(HOST, REPO, top.digest()), request -> stallingAfter(top.blob(), 20, stalled));

    CompletableFuture<ImageRecord> first = pullInBackground(REFERENCE);
    assertThat(stalled.await(30, TimeUnit.SECONDS)).isTrue();
    await().atMost(Duration.ofSeconds(30)).until(() -> content.contains(Digest.parse(base.digest())));
    advance(Duration.ofSeconds(20));
    CompletableFuture<ImageRecord> second = pullInBackground(HOST + "/library/other:1");
    // The second pull's manifest and config arrived 20 s after the first pull's last byte.
    await().atMost(Duration.ofSeconds(30)).until(() -> puller.pullsWaitingOn(top.digest()) == 2);
    advance(Duration.ofSeconds(10));

    assertThat(failureOf(first)).isInstanceOf(ImageException.Unavailable.class)
        .hasMessageContaining("pull of " + REFERENCE + " cancelled");
    assertThat(second.get(30, TimeUnit.SECONDS).layers()).containsExactly(top.digest());
    assertThat(fake.requestsFor(blobUrl(HOST, "library/other", top.digest()))).as("taken over").hasSize(1);
    assertThat(images.list()).hasSize(1);
    assertThat(files(root.resolve("content/ingest"))).as("partial downloads").isEmpty();
  }

  /** 200 with {@code body}'s length, {@code bytes} of it, then silence until the reader is interrupted. */
  private static Response stallingAfter(byte[] body, int bytes, CountDownLatch stalled) {
    InputStream stream = new InputStream() {
      private int position;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (position < bytes) {
          int n = Math.min(len, bytes - position);
          System.arraycopy(body, position, b, off, n);
          position += n;
          return n;
        }
        stalled.countDown();
        try {
          new CountDownLatch(1).await(); // as a socket read blocks, until the thread is interrupted
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        throw new InterruptedIOException("interrupted (fake registry)");
      }
    };
    return new Response(200, Map.of("Content-Length", List.of(String.valueOf(body.length))), stream);
  }

  /** 200 with {@code body}, one byte per read, each read first moving the clock by {@code gap} and checking. */
  private Response trickling(byte[] body, Duration gap) {
    InputStream stream = new InputStream() {
      private int position;

      @Override
      public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (position >= body.length) {
          return -1;
        }
        advance(gap);
        b[off] = body[position++];
        return 1;
      }
    };
    return new Response(200, Map.of("Content-Length", List.of(String.valueOf(body.length))), stream);
  }

  private static void awaitQuietly(CountDownLatch latch) throws InterruptedIOException {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    }
  }

  private void assertNothingLeft() {
    assertThat(images.list()).as("image records").isEmpty();
    assertThat(content.list()).as("blobs").isEmpty();
    assertThat(files(root.resolve("content/ingest"))).as("partial downloads").isEmpty();
    List<Object> all = new ArrayList<>();
    snapshots.walk(all::add);
    assertThat(all).as("snapshots").isEmpty();
    assertThat(files(root.resolve("snapshots"))).as("snapshot directories").isEmpty();
  }

  private static List<Path> files(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.toList();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
