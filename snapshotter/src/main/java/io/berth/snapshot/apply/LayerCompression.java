package io.berth.snapshot.apply;

import com.github.luben.zstd.ZstdInputStream;
import io.berth.snapshot.SnapshotException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** Layer compression, told by the media type and confirmed by the stream's magic bytes. */
public enum LayerCompression {
  NONE,
  GZIP,
  ZSTD;

  /** What a media type claims, or null when it says nothing about compression. */
  static LayerCompression declaredBy(String mediaType) {
    if (mediaType == null || mediaType.isEmpty()) {
      return null;
    }
    if (mediaType.endsWith("+gzip") || mediaType.endsWith(".tar.gzip")) {
      return GZIP;
    }
    if (mediaType.endsWith("+zstd")) {
      return ZSTD;
    }
    if (mediaType.endsWith(".tar") || mediaType.endsWith("layer.v1.tar")) {
      return NONE;
    }
    return null;
  }

  static LayerCompression sniff(byte[] magic, int length) {
    if (length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
      return GZIP;
    }
    if (length >= 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
        && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
      return ZSTD;
    }
    return NONE;
  }

  /**
   * The uncompressed tar stream of a layer blob. The magic bytes decide; a media type that
   * promises compression the bytes do not have is refused, because the blob is not what the
   * manifest says.
   */
  public static InputStream open(InputStream blob, String mediaType) throws IOException {
    BufferedInputStream in = new BufferedInputStream(blob, 1 << 16);
    in.mark(8);
    byte[] magic = new byte[4];
    int read = in.readNBytes(magic, 0, 4);
    in.reset();
    LayerCompression actual = sniff(magic, read);
    LayerCompression declared = declaredBy(mediaType);
    if (declared != null && declared != NONE && declared != actual) {
      throw new SnapshotException.InvalidLayer(
          "layer declared as " + mediaType + " is not " + declared.name().toLowerCase() + "-compressed");
    }
    return switch (actual) {
      case NONE -> in;
      case GZIP -> new GZIPInputStream(in, 1 << 16);
      case ZSTD -> new ZstdInputStream(in);
    };
  }
}
