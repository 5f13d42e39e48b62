package io.berth.image.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.image.ImageException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageStoreTest {
  private static final String ID = "sha256:" + "1".repeat(64);
  private static final String OTHER = "sha256:" + "2".repeat(64);

  private static ImageRecord image(String id, String tag, String digest) {
    return new ImageRecord(id, List.of(tag), List.of(digest), 10, List.of(), List.of(), List.of(), null, false);
  }

  @Test
  void findsByIdPrefixTagAndRepoDigestAndPersists(@TempDir Path dir) {
    ImageStore store = new ImageStore(dir, List.of("busybox:1"));
    store.add(image(ID, "docker.io/library/busybox:1", "docker.io/library/busybox@sha256:" + "a".repeat(64)));
    assertThat(store.find("busybox:1")).isPresent();
    assertThat(store.find("docker.io/library/busybox:1").orElseThrow().pinned()).isTrue();
    assertThat(store.find(ID)).isPresent();
    assertThat(store.find("1".repeat(12))).isPresent();
    assertThat(store.find("busybox@sha256:" + "a".repeat(64))).isPresent();
    assertThat(store.find("busybox:2")).isEmpty();
    assertThat(new ImageStore(dir, List.of()).find("busybox:1")).isPresent();
  }

  @Test
  void theConfiguredPinnedListDecidesAtStartAndWhenItChanges(@TempDir Path dir) {
    ImageStore store = new ImageStore(dir, List.of());
    store.add(image(ID, "docker.io/library/busybox:1", "docker.io/library/busybox@sha256:" + "a".repeat(64)));
    store.add(image(OTHER, "registry.k8s.io/pause:3.10", "registry.k8s.io/pause@sha256:" + "b".repeat(64)));

    store.pin(List.of("registry.k8s.io/pause:3.10"));
    assertThat(store.find(OTHER).orElseThrow().pinned()).isTrue();
    assertThat(store.find(ID).orElseThrow().pinned()).isFalse();
    assertThat(new ImageStore(dir, List.of("registry.k8s.io/pause:3.10")).find(OTHER).orElseThrow().pinned()).isTrue();

    ImageStore reopened = new ImageStore(dir, List.of("busybox:1"));
    assertThat(reopened.find(ID).orElseThrow().pinned()).isTrue();
    assertThat(reopened.find(OTHER).orElseThrow().pinned()).isFalse();
    assertThatThrownBy(() -> reopened.pin(List.of("busybox:1", "Not A Reference")))
        .isInstanceOf(ImageException.InvalidReference.class);
    assertThat(reopened.find(ID).orElseThrow().pinned()).isTrue();
  }

  @Test
  void aTagMovesToTheNewerImage(@TempDir Path dir) {
    ImageStore store = new ImageStore(dir, List.of());
    store.add(image(ID, "docker.io/library/app:latest", "docker.io/library/app@sha256:" + "a".repeat(64)));
    store.add(image(OTHER, "docker.io/library/app:latest", "docker.io/library/app@sha256:" + "b".repeat(64)));
    assertThat(store.find("app").orElseThrow().id()).isEqualTo(OTHER);
    assertThat(store.find(ID).orElseThrow().repoTags()).isEmpty();
  }

  @Test
  void removalByTagByDigestAndById(@TempDir Path dir) {
    ImageStore store = new ImageStore(dir, List.of());
    store.add(image(ID, "docker.io/library/app:1", "docker.io/library/app@sha256:" + "a".repeat(64)));
    store.add(image(ID, "docker.io/library/app:2", "docker.io/library/app@sha256:" + "a".repeat(64)));
    assertThat(store.remove("app:1")).isEqualTo(ImageStore.Removal.REFERENCE_REMOVED);
    assertThat(store.find(ID).orElseThrow().repoTags()).containsExactly("docker.io/library/app:2");
    assertThat(store.remove("app:2")).isEqualTo(ImageStore.Removal.IMAGE_REMOVED);
    assertThat(store.remove("app:2")).isEqualTo(ImageStore.Removal.NOTHING);
    store.add(image(ID, "docker.io/library/app:1", "docker.io/library/app@sha256:" + "a".repeat(64)));
    assertThat(store.remove(ID)).isEqualTo(ImageStore.Removal.IMAGE_REMOVED);
    assertThat(new ImageStore(dir, List.of()).list()).isEmpty();
  }
}
