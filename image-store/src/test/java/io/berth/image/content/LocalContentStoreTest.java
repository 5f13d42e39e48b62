package io.berth.image.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.image.ImageException;
import io.berth.image.ref.Digest;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalContentStoreTest {
  @Test
  void ingestVerifiesResumesAndAccounts(@TempDir Path dir) throws Exception {
    LocalContentStore store = new LocalContentStore(dir);
    byte[] data = "hello, layer".getBytes();
    Digest digest = Digest.of(data);
    try (Ingest ingest = store.ingest(digest, data.length)) {
      ingest.write(new ByteArrayInputStream(data, 0, 5));
      assertThat(ingest.offset()).isEqualTo(5);
      ingest.write(new ByteArrayInputStream(data, 5, data.length - 5)); // resumed at the offset
      ingest.commit();
    }
    assertThat(store.read(digest)).isEqualTo(data);
    assertThat(store.usedBytes()).isEqualTo(data.length);
    assertThat(store.blobCount()).isEqualTo(1);
    assertThat(new LocalContentStore(dir).usedBytes()).as("recounted on open").isEqualTo(data.length);
    store.delete(digest);
    assertThat(store.contains(digest)).isFalse();
    assertThat(store.usedBytes()).isZero();
  }

  @Test
  void wrongContentIsRefusedAndLeavesNothing(@TempDir Path dir) throws Exception {
    LocalContentStore store = new LocalContentStore(dir);
    Digest expected = Digest.of("right".getBytes());
    try (Ingest ingest = store.ingest(expected, 5)) {
      ingest.write(new ByteArrayInputStream("wrong".getBytes()));
      assertThatThrownBy(ingest::commit).isInstanceOf(ImageException.InvalidContent.class)
          .hasMessageContaining("arrived with digest");
    }
    try (Ingest ingest = store.ingest(expected, 5)) {
      assertThatThrownBy(() -> ingest.write(new ByteArrayInputStream("toolong".getBytes())))
          .isInstanceOf(ImageException.InvalidContent.class);
    }
    assertThat(store.contains(expected)).isFalse();
    try (var files = Files.list(dir.resolve("ingest"))) {
      assertThat(files.toList()).isEmpty();
    }
  }
}
