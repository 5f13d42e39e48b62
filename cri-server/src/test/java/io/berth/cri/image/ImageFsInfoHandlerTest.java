package io.berth.cri.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.image.content.LocalContentStore;
import io.berth.proto.runtime.v1.FilesystemUsage;
import io.berth.proto.runtime.v1.ImageFsInfoRequest;
import io.berth.proto.runtime.v1.ImageFsInfoResponse;
import io.berth.snapshot.overlay.OverlaySnapshotter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Image and container filesystems: split by mountpoint only when the container root is another device. */
class ImageFsInfoHandlerTest {
  @TempDir Path root;
  @TempDir Path containerRoot;
  private OverlaySnapshotter snapshots;

  @AfterEach
  void close() {
    snapshots.close();
  }

  @Test
  void containerRootOnAnotherDeviceIsReportedApartWithTheWritableLayers() throws Exception {
    ImageFsInfoResponse response = withOneContainer((path -> path.startsWith(containerRoot) ? "b" : "a"));

    FilesystemUsage image = response.getImageFilesystems(0);
    FilesystemUsage container = response.getContainerFilesystems(0);
    assertThat(image.getFsId().getMountpoint()).isEqualTo(root.toString());
    assertThat(container.getFsId().getMountpoint()).isEqualTo(containerRoot.toString());
    assertThat(image.getUsedBytes().getValue()).isEqualTo(3); // the image layer; the content store is empty
    assertThat(container.getUsedBytes().getValue()).isEqualTo(10);
    assertThat(container.getInodesUsed().getValue()).isEqualTo(2);
  }

  @Test
  void sameDeviceCarriesOneMountpointSoTheKubeletSeesNoSplit() throws Exception {
    ImageFsInfoResponse response = withOneContainer(path -> "same");

    assertThat(response.getContainerFilesystems(0).getFsId().getMountpoint())
        .isEqualTo(response.getImageFilesystems(0).getFsId().getMountpoint())
        .isEqualTo(root.toString());
    assertThat(response.getContainerFilesystems(0).getUsedBytes().getValue()).isEqualTo(10);
    assertThat(response.getImageFilesystems(0).getUsedBytes().getValue()).isEqualTo(3);
  }

  @Test
  void noContainerRootReportsTheRootForBoth() {
    snapshots = new OverlaySnapshotter(root.resolve("snapshots"), Duration.ofHours(1));
    ImageFsInfoResponse response = new ImageFsInfoHandler(new LocalContentStore(root.resolve("content")), snapshots,
        root, root).handle(ImageFsInfoRequest.getDefaultInstance());
    assertThat(response.getImageFilesystems(0).getFsId().getMountpoint()).isEqualTo(root.toString());
    assertThat(response.getContainerFilesystems(0).getFsId().getMountpoint()).isEqualTo(root.toString());
  }

  /** One committed 3-byte image layer, one container writing 10 bytes on it, measured. */
  private ImageFsInfoResponse withOneContainer(ImageFsInfoHandler.DeviceOf devices) throws Exception {
    snapshots = new OverlaySnapshotter(root.resolve("snapshots"), containerRoot.resolve("snapshots"),
        Duration.ofHours(1));
    snapshots.prepare("extract-L1", null);
    Files.writeString(snapshots.layerDirs("extract-L1").upper().resolve("bin"), "abc");
    snapshots.commit("L1", "extract-L1");
    snapshots.prepareContainer("c1", "L1");
    Path upper = snapshots.layerDirs("c1").upper();
    assertThat(upper).startsWith(containerRoot);
    Files.writeString(upper.resolve("data"), "0123456789");
    snapshots.refreshActiveUsage();
    return new ImageFsInfoHandler(new LocalContentStore(root.resolve("content")), snapshots, root, containerRoot,
        devices).handle(ImageFsInfoRequest.getDefaultInstance());
  }
}
