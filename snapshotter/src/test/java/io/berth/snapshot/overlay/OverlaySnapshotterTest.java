package io.berth.snapshot.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.snapshot.Mount;
import io.berth.snapshot.Snapshotter;
import io.berth.snapshot.SnapshotterContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The contract, plus what is particular to overlay directories and their crash leftovers. */
class OverlaySnapshotterTest extends SnapshotterContract {
  @Override
  protected Snapshotter open(Path root) {
    return new OverlaySnapshotter(root, Duration.ofHours(1));
  }

  @Test
  void mountsAreBindForOneLayerAndOverlayForMore() throws Exception {
    layer("L1", null, "one", "1");
    List<Mount> single = snapshotter.view("v1", "L1");
    assertThat(single.getFirst().type()).isEqualTo("bind");
    assertThat(single.getFirst().options()).contains("ro");

    layer("L2", "L1", "two", "2");
    List<Mount> active = snapshotter.prepare("c", "L2");
    Mount overlay = active.getFirst();
    assertThat(overlay.type()).isEqualTo("overlay");
    String lowerdir = overlay.options().stream().filter(o -> o.startsWith("lowerdir=")).findFirst().orElseThrow();
    // Short numeric directory names, top layer first.
    assertThat(lowerdir).matches("lowerdir=" + root + "/\\d+/fs:" + root + "/\\d+/fs");
    assertThat(overlay.options()).anyMatch(o -> o.startsWith("upperdir=")).anyMatch(o -> o.startsWith("workdir="));
  }

  @Test
  void crashLeftoversAreRemovedAtStart() throws Exception {
    layer("L1", null, "f", "x");
    snapshotter.close();
    Path unfinished = Files.createDirectories(root.resolve("77/fs"));
    Path halfRemoved = Files.createDirectories(root.resolve(".removing-3/fs"));
    snapshotter = open(root);
    assertThat(unfinished.getParent()).doesNotExist();
    assertThat(halfRemoved.getParent()).doesNotExist();
    assertThat(snapshotter.stat("L1")).isNotNull();
    // New snapshots never reuse a number seen on disk.
    snapshotter.prepare("a", null);
    assertThat(snapshotter.layerDirs("a").upper().getParent().getFileName().toString()).isEqualTo("78");
  }

  @Test
  void activeUsageIsMeasuredInTheBackgroundNotPerCall() throws Exception {
    snapshotter.prepare("c", null);
    Files.writeString(snapshotter.layerDirs("c").upper().resolve("data"), "0123456789");
    OverlaySnapshotter overlay = (OverlaySnapshotter) snapshotter;
    long before = snapshotter.usage("c").bytes();
    overlay.refreshActiveUsage();
    assertThat(before).isZero();
    assertThat(snapshotter.usage("c").bytes()).isEqualTo(10);
    assertThat(overlay.totalUsage().bytes()).isEqualTo(10);
  }
}
