package io.berth.snapshot.overlay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.snapshot.Mount;
import io.berth.snapshot.SnapshotException;
import io.berth.snapshot.Snapshotter;
import io.berth.snapshot.SnapshotterContract;
import io.berth.snapshot.Usage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  @Test
  void containerLayersLiveUnderTheContainerRootAndSurviveARestart(@TempDir Path containerRoot) throws Exception {
    snapshotter.close();
    snapshotter = new OverlaySnapshotter(root, containerRoot.resolve("snapshots"), Duration.ofHours(1));
    layer("L1", null, "one", "1");
    List<Mount> mounts = snapshotter.prepareContainer("c", "L1");
    Path upper = snapshotter.layerDirs("c").upper();
    String id = upper.getParent().getFileName().toString();
    assertThat(upper).isEqualTo(containerRoot.resolve("snapshots/" + id + "/fs"));
    // upperdir and workdir on the container filesystem, the image layer below stays under the root.
    assertThat(mounts.getFirst().options()).contains(
        "workdir=" + containerRoot.resolve("snapshots/" + id + "/work"), "upperdir=" + upper,
        "lowerdir=" + snapshotter.layerDirs("c").lowers().getFirst());
    assertThat(snapshotter.layerDirs("c").lowers().getFirst()).startsWith(root);
    assertThat(Files.getPosixFilePermissions(containerRoot.resolve("snapshots")))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    assertThat(root.resolve(id + "/meta.json")).exists();
    assertThat(root.resolve(id + "/fs")).doesNotExist();

    Files.writeString(upper.resolve("data"), "0123456789");
    OverlaySnapshotter overlay = (OverlaySnapshotter) snapshotter;
    overlay.refreshActiveUsage();
    assertThat(overlay.containerUsage().bytes()).isEqualTo(10);
    assertThat(overlay.imageUsage().bytes()).isEqualTo(1);
    assertThatThrownBy(() -> snapshotter.commit("x", "c")).isInstanceOf(SnapshotException.InUse.class);

    snapshotter.close();
    snapshotter = new OverlaySnapshotter(root, containerRoot.resolve("snapshots"), Duration.ofHours(1));
    assertThat(snapshotter.layerDirs("c").upper().resolve("data")).hasContent("0123456789");
    snapshotter.remove("c");
    assertThat(containerRoot.resolve("snapshots")).isEmptyDirectory();
    assertThat(root.resolve(id)).doesNotExist();
  }

  @Test
  void unpacksStayUnderTheRootWhenContainersHaveTheirOwn(@TempDir Path containerRoot) {
    snapshotter.close();
    snapshotter = new OverlaySnapshotter(root, containerRoot, Duration.ofHours(1));
    snapshotter.prepare("extract-L1", null);
    assertThat(snapshotter.layerDirs("extract-L1").upper()).startsWith(root);
    assertThat(containerRoot).isEmptyDirectory();
  }

  @Test
  void containerRootLeftoversAreRemovedAtStart(@TempDir Path containerRoot) throws Exception {
    snapshotter.close();
    Path orphan = Files.createDirectories(containerRoot.resolve("99/fs"));
    Path halfRemoved = Files.createDirectories(containerRoot.resolve(".removing-4/fs"));
    snapshotter = new OverlaySnapshotter(root, containerRoot, Duration.ofHours(1));
    assertThat(orphan.getParent()).doesNotExist();
    assertThat(halfRemoved.getParent()).doesNotExist();
    snapshotter.prepareContainer("c", null);
    assertThat(snapshotter.layerDirs("c").upper()).isEqualTo(containerRoot.resolve("100/fs"));
  }

  @Test
  void storesWrittenBeforeContainerRootsStillLoad() throws Exception {
    snapshotter.prepare("c", null);
    String id = snapshotter.layerDirs("c").upper().getParent().getFileName().toString();
    snapshotter.close();
    Path meta = root.resolve(id + "/meta.json");
    String old = Files.readString(meta)
        .replaceAll(",\\s*\"(container|layerRoot)\"\\s*:\\s*(true|false|null|\"[^\"]*\")", "");
    assertThat(old).doesNotContain("container").doesNotContain("layerRoot");
    Files.writeString(meta, old);
    snapshotter = open(root);
    assertThat(snapshotter.layerDirs("c").upper()).isEqualTo(root.resolve(id + "/fs"));
    assertThat(((OverlaySnapshotter) snapshotter).containerUsage()).isEqualTo(Usage.ZERO);
  }
}
