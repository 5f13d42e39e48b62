package io.berth.snapshot.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.snapshot.Mount;
import io.berth.snapshot.Mounter;
import io.berth.snapshot.Tars;
import io.berth.snapshot.apply.LayerApplier;
import io.berth.sys.LinuxSyscalls;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real overlayfs mounts of what the snapshotter returns (root, as berthd runs). */
@Tag("root")
class OverlayMountTest {
  private static final String TAR = "application/vnd.oci.image.layer.v1.tar";
  private final LinuxSyscalls sys = new LinuxSyscalls();
  private final Mounter mounter = new Mounter(sys);
  private final LayerApplier applier = new LayerApplier(sys);

  @TempDir Path work;
  private OverlaySnapshotter snapshotter;
  private Path mounted;

  @AfterEach
  void cleanUp() {
    if (mounted != null) {
      mounter.unmount(mounted);
    }
    if (snapshotter != null) {
      snapshotter.close();
    }
  }

  private void unpack(String chainId, String parent, byte[] tar) {
    String key = OverlaySnapshotter.EXTRACT_PREFIX + chainId;
    snapshotter.prepare(key, parent);
    applier.apply(new ByteArrayInputStream(tar), TAR, snapshotter.layerDirs(key), null);
    snapshotter.commit(chainId, key);
  }

  @Test
  void mountedStackShowsWhatTheLayersSay() throws Exception {
    snapshotter = new OverlaySnapshotter(work.resolve("snapshots"), Duration.ofHours(1));
    unpack("L1", null,
        new Tars().dir("etc").file("etc/a", "1").file("etc/gone", "1").dir("opt").file("opt/old", "o").build());
    unpack("L2", "L1", new Tars().file("etc/.wh.gone", "").file("opt/.wh..wh..opq", "").file("opt/new", "n").build());
    unpack("L3", "L2", new Tars().file("etc/a", "3").build());

    List<Mount> mounts = snapshotter.prepare("container", "L3");
    mounted = Files.createDirectories(work.resolve("rootfs"));
    mounter.mount(mounts, mounted);

    assertThat(Files.readString(mounted.resolve("etc/a"))).isEqualTo("3");
    assertThat(mounted.resolve("etc/gone")).doesNotExist();
    try (var opt = Files.list(mounted.resolve("opt"))) {
      assertThat(opt.map(p -> p.getFileName().toString()).toList()).containsExactly("new");
    }
    // Writes land in the container's own layer only.
    Files.writeString(mounted.resolve("etc/written"), "w");
    assertThat(snapshotter.layerDirs("container").upper().resolve("etc/written")).exists();
    assertThat(snapshotter.layerDirs("container").lowers().getFirst().resolve("etc/written")).doesNotExist();
  }

  @Test
  void readOnlyViewOfOneLayerIsABindMount() throws Exception {
    snapshotter = new OverlaySnapshotter(work.resolve("snapshots"), Duration.ofHours(1));
    unpack("L1", null, new Tars().file("f", "x").build());
    mounted = Files.createDirectories(work.resolve("view"));
    mounter.mount(snapshotter.view("v", "L1"), mounted);
    assertThat(Files.readString(mounted.resolve("f"))).isEqualTo("x");
    assertThat(Files.isWritable(mounted.resolve("f"))).isFalse();
  }

  @Test
  void imageOf128LayersMountsEvenUnderALongRoot() throws Exception {
    // A root long enough that 128 lowerdir entries exceed the one-page limit of mount(2).
    Path longRoot = work.resolve("a-rather-long-directory-name-for-the-berth-root".repeat(2)).resolve("snapshots");
    snapshotter = new OverlaySnapshotter(longRoot, Duration.ofHours(1));
    String parent = null;
    for (int i = 0; i < 128; i++) {
      String chainId = "sha256:layer-" + i;
      unpack(chainId, parent,
          new Tars().file("layer-" + i, Integer.toString(i)).file("top", Integer.toString(i)).build());
      parent = chainId;
    }
    List<Mount> mounts = snapshotter.prepare("container", parent);
    String options = String.join(",", mounts.getFirst().options());
    assertThat(options.length()).isGreaterThan(4096);

    mounted = Files.createDirectories(work.resolve("rootfs"));
    mounter.mount(mounts, mounted);
    for (int i = 0; i < 128; i++) {
      assertThat(mounted.resolve("layer-" + i)).exists();
    }
    assertThat(Files.readString(mounted.resolve("top"))).isEqualTo("127");
    assertThat(Files.isDirectory(mounted, LinkOption.NOFOLLOW_LINKS)).isTrue();
  }
}
