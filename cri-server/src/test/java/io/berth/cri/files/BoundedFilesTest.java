package io.berth.cri.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Regular files only, never more than the limit, and nothing that can block is ever opened. */
class BoundedFilesTest {
  /** A FIFO opened for reading would block until a writer came; this bounds how long a failure takes. */
  private static final Duration NO_BLOCKING = Duration.ofSeconds(5);
  @TempDir Path dir;

  @Test
  void aRegularFileIsReadWhole() throws IOException {
    Path file = Files.writeString(dir.resolve("p.json"), "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
    assertThat(new String(BoundedFiles.read(file, 1024), StandardCharsets.UTF_8))
        .isEqualTo("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
    assertThat(BoundedFiles.read(Files.write(dir.resolve("empty"), new byte[0]), 1024)).isEmpty();
  }

  @Test
  void aFileOfExactlyTheLimitIsReadAndOneByteMoreIsRefused() throws IOException {
    Path exact = Files.write(dir.resolve("exact"), new byte[4096]);
    assertThat(BoundedFiles.read(exact, 4096)).hasSize(4096);
    Path over = Files.write(dir.resolve("over"), new byte[4097]);
    assertThatThrownBy(() -> BoundedFiles.read(over, 4096))
        .isInstanceOf(IOException.class).hasMessage("is larger than 4 KiB (4097 bytes)");
  }

  @Test
  void aFifoIsRefusedWithoutBeingOpened() throws Exception {
    Path fifo = mkfifo(dir.resolve("profile.json"));
    assertTimeoutPreemptively(NO_BLOCKING, () -> assertThatThrownBy(() -> BoundedFiles.read(fifo, 1 << 20))
        .isInstanceOf(IOException.class).hasMessage("is a FIFO, not a regular file"));
  }

  @Test
  void devicesAreRefused() {
    assertTimeoutPreemptively(NO_BLOCKING, () -> {
      assertThatThrownBy(() -> BoundedFiles.read(Path.of("/dev/zero"), 1 << 20))
          .isInstanceOf(IOException.class).hasMessage("is a character device, not a regular file");
      assertThatThrownBy(() -> BoundedFiles.read(Path.of("/dev/null"), 1 << 20))
          .isInstanceOf(IOException.class).hasMessage("is a character device, not a regular file");
    });
  }

  @Test
  void directoriesAndMissingFilesAreRefused() {
    assertThatThrownBy(() -> BoundedFiles.read(dir, 1024))
        .isInstanceOf(IOException.class).hasMessage("is a directory, not a regular file");
    assertThatThrownBy(() -> BoundedFiles.read(dir.resolve("none.json"), 1024))
        .isInstanceOf(IOException.class).hasMessage("does not exist");
  }

  /** Links are followed (profiles are often links into a managed directory), but only to a regular file. */
  @Test
  void aLinkIsFollowedToARegularFileOnly() throws Exception {
    Path target = Files.writeString(dir.resolve("real.json"), "{}");
    Path link = Files.createSymbolicLink(dir.resolve("link.json"), target);
    assertThat(BoundedFiles.read(link, 1024)).isEqualTo("{}".getBytes(StandardCharsets.UTF_8));

    Path toZero = Files.createSymbolicLink(dir.resolve("zero.json"), Path.of("/dev/zero"));
    Path fifo = mkfifo(dir.resolve("fifo"));
    Path toFifo = Files.createSymbolicLink(dir.resolve("fifo.json"), fifo);
    Path chained = Files.createSymbolicLink(dir.resolve("chained.json"), toFifo);
    assertTimeoutPreemptively(NO_BLOCKING, () -> {
      assertThatThrownBy(() -> BoundedFiles.read(toZero, 1 << 20)).isInstanceOf(IOException.class)
          .hasMessage("leads to /dev/zero, a character device, not a regular file");
      assertThatThrownBy(() -> BoundedFiles.read(toFifo, 1 << 20)).isInstanceOf(IOException.class)
          .hasMessage("leads to " + fifo.toRealPath() + ", a FIFO, not a regular file");
      assertThatThrownBy(() -> BoundedFiles.read(chained, 1 << 20)).isInstanceOf(IOException.class)
          .hasMessageContaining("a FIFO, not a regular file");
    });
    Path dangling = Files.createSymbolicLink(dir.resolve("dangling.json"), dir.resolve("gone.json"));
    assertThatThrownBy(() -> BoundedFiles.read(dangling, 1024))
        .isInstanceOf(IOException.class).hasMessage("does not exist");
  }

  @Test
  void limitsAreWrittenInTheUnitTheyAreWholeIn() {
    assertThat(BoundedFiles.human(1 << 20)).isEqualTo("1 MiB");
    assertThat(BoundedFiles.human(4 << 20)).isEqualTo("4 MiB");
    assertThat(BoundedFiles.human(4096)).isEqualTo("4 KiB");
    assertThat(BoundedFiles.human(1000)).isEqualTo("1000 bytes");
  }

  private static Path mkfifo(Path path) throws IOException, InterruptedException {
    Process process = new ProcessBuilder("mkfifo", path.toString()).redirectErrorStream(true).start();
    assertThat(process.waitFor()).as("mkfifo " + path).isZero();
    return path;
  }
}
