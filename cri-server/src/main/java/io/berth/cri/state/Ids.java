package io.berth.cri.state;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Object IDs: 64 random hex digits, like containerd's, so that short prefixes are unique. */
public final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();

  private Ids() {}

  public static String next() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
