package io.berth.image.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.image.content.LocalContentStore;
import io.berth.image.ref.Digest;
import io.berth.snapshot.SnapshotException;
import io.berth.snapshot.overlay.OverlaySnapshotter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What image GC frees, and the decision for images in use: removing an image whose top layer
 * carries a container's writable layer removes the image record at once, keeps the layers the
 * container stands on, and frees them once the container's snapshot is gone.
 */
class ImageGarbageCollectorTest {
  @TempDir Path root;
  OverlaySnapshotter snapshots;
  LocalContentStore content;
  ImageStore images;
  ImageGarbageCollector collector;

  @BeforeEach
  void open() {
    snapshots = new OverlaySnapshotter(root.resolve("snapshots"), Duration.ofHours(1));
    content = new LocalContentStore(root.resolve("content"));
    images = new ImageStore(root.resolve("images"), List.of());
    collector = new ImageGarbageCollector(images, content, snapshots, new ReentrantReadWriteLock());
  }

  @AfterEach
  void close() {
    snapshots.close();
  }

  private String layer(String chainId, String parent) throws Exception {
    snapshots.prepare("extract-" + chainId, parent);
    Files.writeString(snapshots.layerDirs("extract-" + chainId).upper().resolve("f"), chainId);
    snapshots.commit(chainId, "extract-" + chainId);
    return chainId;
  }

  private String blob(String text) {
    Digest digest = Digest.of(text.getBytes());
    content.put(digest, text.getBytes());
    return digest.toString();
  }

  private ImageRecord image(String tag, String config, List<String> layerBlobs, List<String> chains) {
    return images.add(new ImageRecord(config, List.of(tag), List.of(), 1, List.of(), layerBlobs, chains, null, false));
  }

  @Test
  void sharedLayersStayUnsharedOnesGo() throws Exception {
    String base = layer("base", null);
    String a = layer("a", base);
    String b = layer("b", base);
    String shared = blob("shared layer");
    image("docker.io/x/a:1", blob("config a"), List.of(shared, blob("layer a")), List.of(base, a));
    image("docker.io/x/b:1", blob("config b"), List.of(shared, blob("layer b")), List.of(base, b));

    images.remove("x/a:1");
    ImageGarbageCollector.Result result = collector.collect();
    assertThat(result.snapshotsRemoved()).isEqualTo(1);
    assertThat(result.blobsRemoved()).isEqualTo(2);
    assertThat(snapshots.stat(base)).isNotNull();
    assertThat(content.contains(Digest.parse(shared))).isTrue();
  }

  @Test
  void layersUnderAContainerOutliveTheirImage() throws Exception {
    String base = layer("base", null);
    String top = layer("top", base);
    image("docker.io/x/app:1", blob("config"), List.of(blob("l1"), blob("l2")), List.of(base, top));
    snapshots.prepare("container-1", top);

    images.remove("x/app:1");
    collector.collect();
    assertThat(images.find("x/app:1")).isEmpty();
    assertThat(snapshots.stat(top)).as("the container's parent stays").isNotNull();
    assertThat(snapshots.stat(base)).isNotNull();
    assertThat(content.blobCount()).isZero();

    snapshots.remove("container-1");
    collector.collect();
    for (String chain : List.of(top, base)) {
      try {
        snapshots.stat(chain);
        throw new AssertionError(chain + " should be collected");
      } catch (SnapshotException.NotFound expected) {
        // collected
      }
    }
  }
}
