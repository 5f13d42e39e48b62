package io.berth.sys;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 for content digests: OpenSSL's libcrypto through FFM when the node has it, else the
 * JDK's. berthd runs with the C1 compiler only, which does not use the JVM's SHA-256 intrinsic;
 * libcrypto hashes at the CPU's speed (SHA-NI) whichever compiler runs berthd.
 */
public final class Sha256 {
  private Sha256() {}

  /** A new SHA-256 digest. */
  public static MessageDigest newDigest() {
    if (LibcryptoSha256.AVAILABLE) {
      return new LibcryptoSha256();
    }
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Which implementation {@link #newDigest} returns: {@code libcrypto} or {@code jdk}. */
  public static String implementation() {
    return LibcryptoSha256.AVAILABLE ? "libcrypto" : "jdk";
  }
}
