package io.berth.image.pull;

import io.berth.image.oci.MediaTypes;
import io.berth.image.ref.Digest;
import io.berth.image.registry.FakeRegistryTransport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import tools.jackson.databind.ObjectMapper;

/**
 * Images built in memory and published to a {@link FakeRegistryTransport}: gzip tar layers
 * whose files belong to the user running the tests (so unpacking needs no root), a config
 * listing their diff IDs, an OCI manifest, and optionally an index over several platforms.
 */
final class TestImages {
  static final String LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long[] OWNER = owner();

  /** One layer: its compressed blob and the digest of its uncompressed tar. */
  record Layer(byte[] blob, String digest, String diffId) {}

  /** A published image manifest and what it names. */
  record Image(String manifestDigest, byte[] manifest, String configDigest, byte[] config, List<Layer> layers) {}

  private TestImages() {}

  /** A layer holding one file {@code path} with {@code content}. */
  static Layer layer(String path, String content) {
    byte[] data = content.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream tarBytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(tarBytes)) {
      TarArchiveEntry entry = new TarArchiveEntry(path);
      entry.setSize(data.length);
      entry.setMode(0100644);
      entry.setModTime(FileTime.fromMillis(0)); // the same bytes, so the same digests, on every run
      entry.setUserId(OWNER[0]);
      entry.setGroupId(OWNER[1]);
      tar.putArchiveEntry(entry);
      tar.write(data);
      tar.closeArchiveEntry();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ByteArrayOutputStream gzipped = new ByteArrayOutputStream();
    try (GzipCompressorOutputStream gzip = new GzipCompressorOutputStream(gzipped)) {
      gzip.write(tarBytes.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] blob = gzipped.toByteArray();
    return new Layer(blob, Digest.of(blob).toString(), Digest.of(tarBytes.toByteArray()).toString());
  }

  /** Publishes config, layers and manifest (tagged {@code tag} unless null) for linux/{@code architecture}. */
  static Image publish(FakeRegistryTransport registry, String host, String repository, String tag, String architecture,
      Layer... layers) {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("architecture", architecture);
    config.put("os", "linux");
    config.put("config", Map.of("Cmd", List.of("/hello")));
    config.put("rootfs", Map.of("type", "layers", "diff_ids", List.of(layers).stream().map(Layer::diffId).toList()));
    byte[] configBytes = JSON.writeValueAsBytes(config);
    String configDigest = registry.putBlob(host, repository, configBytes);
    List<Map<String, Object>> layerDescriptors = new ArrayList<>();
    for (Layer layer : layers) {
      registry.putBlob(host, repository, layer.blob());
      layerDescriptors.add(descriptor(LAYER_TYPE, layer.digest(), layer.blob().length));
    }
    Map<String, Object> manifest = new LinkedHashMap<>();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
    manifest.put("config", descriptor(MediaTypes.OCI_CONFIG, configDigest, configBytes.length));
    manifest.put("layers", layerDescriptors);
    byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
    String manifestDigest = registry.putManifest(host, repository, tag, MediaTypes.OCI_MANIFEST, manifestBytes);
    return new Image(manifestDigest, manifestBytes, configDigest, configBytes, List.of(layers));
  }

  /** Publishes an index under {@code tag} over images by platform ({@code os/arch[/variant]}); returns its digest. */
  static String publishIndex(FakeRegistryTransport registry, String host, String repository, String tag,
      Map<String, Image> byPlatform) {
    List<Map<String, Object>> entries = new ArrayList<>();
    byPlatform.forEach((platform, image) -> {
      String[] parts = platform.split("/");
      Map<String, Object> entry = descriptor(MediaTypes.OCI_MANIFEST, image.manifestDigest(), image.manifest().length);
      Map<String, Object> described = new LinkedHashMap<>();
      described.put("os", parts[0]);
      described.put("architecture", parts[1]);
      if (parts.length > 2) {
        described.put("variant", parts[2]);
      }
      entry.put("platform", described);
      entries.add(entry);
    });
    byte[] index = JSON.writeValueAsBytes(Map.of("schemaVersion", 2, "mediaType", MediaTypes.OCI_INDEX,
        "manifests", entries));
    return registry.putManifest(host, repository, tag, MediaTypes.OCI_INDEX, index);
  }

  /** The same bytes with the last one changed: same length, another digest. */
  static byte[] corrupted(byte[] bytes) {
    byte[] copy = bytes.clone();
    copy[copy.length - 1] ^= 0x5a;
    return copy;
  }

  private static Map<String, Object> descriptor(String mediaType, String digest, long size) {
    Map<String, Object> descriptor = new LinkedHashMap<>();
    descriptor.put("mediaType", mediaType);
    descriptor.put("digest", digest);
    descriptor.put("size", size);
    return descriptor;
  }

  /** uid and gid of a file this process creates: the owner the layers' files may carry without root. */
  private static long[] owner() {
    try {
      Path probe = Files.createTempFile("berth-owner", ".probe");
      try {
        return new long[] {((Number) Files.getAttribute(probe, "unix:uid")).longValue(),
            ((Number) Files.getAttribute(probe, "unix:gid")).longValue()};
      } finally {
        Files.delete(probe);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
