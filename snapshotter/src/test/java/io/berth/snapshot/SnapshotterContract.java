package io.berth.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The behaviour every {@link Snapshotter} owes its callers; run against each implementation. */
public abstract class SnapshotterContract {
  @TempDir protected Path root;
  protected Snapshotter snapshotter;

  protected abstract Snapshotter open(Path root);

  @BeforeEach
  void openStore() {
    snapshotter = open(root);
  }

  @AfterEach
  void closeStore() {
    snapshotter.close();
  }

  /** Prepares {@code key} on {@code parent}, writes one file into its layer, commits as {@code name}. */
  protected void layer(String name, String parent, String file, String content) throws Exception {
    String key = "extract-" + name;
    snapshotter.prepare(key, parent);
    Files.writeString(snapshotter.layerDirs(key).upper().resolve(file), content);
    snapshotter.commit(name, key);
  }

  @Test
  void preparedSnapshotIsActiveAndCommitsUnderItsName() throws Exception {
    List<Mount> mounts = snapshotter.prepare("active-1", null);
    assertThat(mounts).hasSize(1);
    assertThat(mounts.getFirst().readOnly()).isFalse();
    assertThat(snapshotter.stat("active-1").kind()).isEqualTo(SnapshotInfo.Kind.ACTIVE);
    Files.writeString(snapshotter.layerDirs("active-1").upper().resolve("f"), "12345");

    snapshotter.commit("sha256:layer1", "active-1");
    SnapshotInfo committed = snapshotter.stat("sha256:layer1");
    assertThat(committed.kind()).isEqualTo(SnapshotInfo.Kind.COMMITTED);
    assertThat(committed.parent()).isNull();
    assertThatThrownBy(() -> snapshotter.stat("active-1")).isInstanceOf(SnapshotException.NotFound.class);
    assertThat(snapshotter.usage("sha256:layer1")).isEqualTo(new Usage(5, 2));
  }

  @Test
  void childrenStackTheirParentsTopFirst() throws Exception {
    layer("L1", null, "one", "1");
    layer("L2", "L1", "two", "2");
    snapshotter.prepare("container", "L2");
    LayerDirs dirs = snapshotter.layerDirs("container");
    assertThat(dirs.lowers()).hasSize(2);
    assertThat(dirs.lowers().get(0).resolve("two")).exists();
    assertThat(dirs.lowers().get(1).resolve("one")).exists();
    assertThat(snapshotter.stat("container").parent()).isEqualTo("L2");
  }

  @Test
  void viewsAreReadOnly() throws Exception {
    layer("L1", null, "one", "1");
    assertThat(snapshotter.view("v1", "L1")).allSatisfy(m -> assertThat(m.readOnly()).isTrue());
    layer("L2", "L1", "two", "2");
    assertThat(snapshotter.view("v2", "L2")).allSatisfy(m -> assertThat(m.readOnly()).isTrue());
    assertThat(snapshotter.stat("v2").kind()).isEqualTo(SnapshotInfo.Kind.VIEW);
    assertThatThrownBy(() -> snapshotter.commit("x", "v2")).isInstanceOf(SnapshotException.InUse.class);
  }

  @Test
  void removeIsRefusedWhileChildrenExist() throws Exception {
    layer("L1", null, "one", "1");
    snapshotter.prepare("c", "L1");
    assertThatThrownBy(() -> snapshotter.remove("L1"))
        .isInstanceOf(SnapshotException.InUse.class)
        .hasMessageContaining("L1");
    snapshotter.remove("c");
    snapshotter.remove("L1");
    List<SnapshotInfo> all = new ArrayList<>();
    snapshotter.walk(all::add);
    assertThat(all).isEmpty();
  }

  @Test
  void badReferencesAreRefusedPrecisely() throws Exception {
    assertThatThrownBy(() -> snapshotter.prepare("a", "missing")).isInstanceOf(SnapshotException.NotFound.class);
    snapshotter.prepare("a", null);
    assertThatThrownBy(() -> snapshotter.prepare("a", null)).isInstanceOf(SnapshotException.AlreadyExists.class);
    assertThatThrownBy(() -> snapshotter.prepare("b", "a")).isInstanceOf(SnapshotException.InUse.class);
    assertThatThrownBy(() -> snapshotter.remove("nope")).isInstanceOf(SnapshotException.NotFound.class);
    layer("L1", null, "f", "x");
    snapshotter.prepare("c", null);
    assertThatThrownBy(() -> snapshotter.commit("L1", "c")).isInstanceOf(SnapshotException.AlreadyExists.class);
  }

  @Test
  void walkSeesEverySnapshot() throws Exception {
    layer("L1", null, "f", "x");
    snapshotter.prepare("a", "L1");
    snapshotter.view("v", "L1");
    List<String> keys = new ArrayList<>();
    snapshotter.walk(info -> keys.add(info.key()));
    assertThat(keys).containsExactlyInAnyOrder("L1", "a", "v");
  }

  @Test
  void snapshotsSurviveReopening() throws Exception {
    layer("L1", null, "f", "x");
    snapshotter.prepare("container", "L1");
    snapshotter.close();
    snapshotter = open(root);
    assertThat(snapshotter.stat("L1").kind()).isEqualTo(SnapshotInfo.Kind.COMMITTED);
    assertThat(snapshotter.stat("container").parent()).isEqualTo("L1");
    assertThat(snapshotter.usage("L1").bytes()).isEqualTo(1);
  }

  @Test
  void interruptedUnpacksVanishOnReopening() throws Exception {
    layer("L1", null, "f", "x");
    snapshotter.prepare("extract-crashed", "L1");
    snapshotter.close();
    snapshotter = open(root);
    assertThatThrownBy(() -> snapshotter.stat("extract-crashed")).isInstanceOf(SnapshotException.NotFound.class);
    snapshotter.remove("L1"); // no longer a parent of anything
  }
}
