package io.berth.cri.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.InvalidArgumentException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** image_sub_path is resolved inside the image's view: links and ".." never reach the host. */
class ImageSubPathTest {
  @TempDir Path dir;
  Path root;
  Path outside;

  @BeforeEach
  void image() throws IOException {
    root = Files.createDirectories(dir.resolve("view"));
    outside = Files.createDirectories(dir.resolve("host-secret"));
    Files.createDirectories(root.resolve("data/sub"));
    Files.createDirectories(root.resolve("etc"));
    Files.writeString(root.resolve("etc/os-release"), "image\n");
    Files.writeString(root.resolve("data/file"), "file\n");
    Files.createSymbolicLink(root.resolve("abs-etc"), Path.of("/etc"));
    Files.createSymbolicLink(root.resolve("data/up"), Path.of("../../../../.."));
    Files.createSymbolicLink(root.resolve("data/rel-etc"), Path.of("../etc"));
    Files.createSymbolicLink(root.resolve("data/to-host"), outside);
    Files.createSymbolicLink(root.resolve("loop-a"), Path.of("loop-b"));
    Files.createSymbolicLink(root.resolve("loop-b"), Path.of("loop-a"));
  }

  private Path resolve(String subPath) {
    return ImageSubPath.resolve(root, subPath, "example.test/vol:1");
  }

  @Test
  void emptyIsTheRootAndPlainPathsAreUnderIt() {
    assertThat(resolve("")).isEqualTo(root);
    assertThat(resolve("data/sub")).isEqualTo(root.resolve("data/sub"));
    assertThat(resolve("./data//sub/")).isEqualTo(root.resolve("data/sub"));
    assertThat(resolve("data/sub/..")).isEqualTo(root.resolve("data"));
    assertThat(resolve("data/file")).as("a file may be mounted too").isEqualTo(root.resolve("data/file"));
  }

  @Test
  void absoluteLinksResolveFromTheImagesRoot() {
    assertThat(resolve("abs-etc")).isEqualTo(root.resolve("etc"));
    assertThat(resolve("abs-etc/os-release")).isEqualTo(root.resolve("etc/os-release"));
    assertThat(resolve("data/rel-etc/os-release")).isEqualTo(root.resolve("etc/os-release"));
  }

  @Test
  void linksClimbingAboveTheRootStopAtIt() {
    assertThat(resolve("data/up")).isEqualTo(root);
    assertThat(resolve("data/up/etc")).isEqualTo(root.resolve("etc"));
  }

  @Test
  void aLinkToAHostPathNamesThatPathInsideTheImage() {
    // The host's directory exists, the image has no such path: not found, never the host's.
    assertThatThrownBy(() -> resolve("data/to-host")).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("'data/to-host'").hasMessageContaining("does not exist");
  }

  @Test
  void escapingMissingLoopingAndAbsolutePathsAreInvalid() {
    assertThatThrownBy(() -> resolve("../host-secret")).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("'../host-secret'").hasMessageContaining("escapes the image")
        .hasMessageContaining("example.test/vol:1");
    assertThatThrownBy(() -> resolve("data/../../view")).hasMessageContaining("escapes the image");
    assertThatThrownBy(() -> resolve("data/missing")).hasMessageContaining("does not exist");
    assertThatThrownBy(() -> resolve("data/file/below")).hasMessageContaining("is not a directory");
    assertThatThrownBy(() -> resolve("loop-a")).hasMessageContaining("too many levels of symbolic links");
    assertThatThrownBy(() -> resolve("/data")).hasMessageContaining("is absolute");
  }
}
