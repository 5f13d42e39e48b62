package io.berth.image.ref;

import io.berth.image.ImageException;
import io.berth.sys.Sha256;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** A content digest, {@code sha256:<64 hex>}; the only algorithm berth stores content under. */
public record Digest(String algorithm, String hex) {
  private static final Pattern SHA256 = Pattern.compile("[a-f0-9]{64}");

  public Digest {
    if (!"sha256".equals(algorithm) || !SHA256.matcher(hex).matches()) {
      throw new ImageException.InvalidReference(
          "digest '" + algorithm + ":" + hex + "' is not sha256:<64 lowercase hex>");
    }
  }

  public static Digest parse(String value) {
    int colon = value.indexOf(':');
    if (colon < 0) {
      throw new ImageException.InvalidReference("digest '" + value + "' has no algorithm");
    }
    return new Digest(value.substring(0, colon), value.substring(colon + 1));
  }

  public static boolean looksLikeDigest(String value) {
    return value.startsWith("sha256:") && SHA256.matcher(value.substring(7)).matches();
  }

  public static Digest of(byte[] content) {
    return new Digest("sha256", HexFormat.of().formatHex(sha256().digest(content)));
  }

  public static MessageDigest sha256() {
    return Sha256.newDigest();
  }

  @Override
  public String toString() {
    return algorithm + ":" + hex;
  }
}
