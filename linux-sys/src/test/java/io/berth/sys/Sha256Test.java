package io.berth.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** libcrypto's SHA-256 gives the JDK's digests, however the bytes arrive. */
class Sha256Test {
  private final Random random = new Random(42);

  @Test
  void libcryptoIsWhatBerthHashesWithOnDebian() {
    // libssl3 is installed by make deps and required by the package: a silent fallback to the
    // JDK's digest would make pulls several times slower under berthd's C1-only JIT.
    assertThat(Sha256.implementation()).isEqualTo("libcrypto");
    assertThat(Sha256.newDigest()).isInstanceOf(LibcryptoSha256.class);
  }

  @Test
  void knownAnswers() {
    assertThat(hex(Sha256.newDigest().digest(new byte[0])))
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assertThat(hex(Sha256.newDigest().digest("abc".getBytes(StandardCharsets.US_ASCII))))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void everyLengthAroundTheBlockSizeAndALargeInputMatchTheJdk() throws Exception {
    for (int length : new int[] {1, 55, 56, 63, 64, 65, 127, 128, 1000, 65_536, 1 << 20, (3 << 20) + 5}) {
      byte[] data = bytes(length);
      assertThat(Sha256.newDigest().digest(data)).as("%d bytes", length).isEqualTo(jdk().digest(data));
    }
  }

  @Test
  void piecesBytesAndBuffersGiveTheSameDigestAsOneUpdate() throws Exception {
    byte[] data = bytes(200_001);
    MessageDigest digest = Sha256.newDigest();
    int at = 0;
    int round = 0;
    while (at < data.length) {
      int length = Math.min(data.length - at, random.nextInt(9000));
      switch (round++ % 4) {
        case 0 -> digest.update(data, at, length);
        case 1 -> digest.update(ByteBuffer.wrap(data, at, length));
        case 2 -> digest.update(ByteBuffer.allocateDirect(length).put(data, at, length).flip());
        default -> {
          for (int i = at; i < at + length; i++) {
            digest.update(data[i]);
          }
        }
      }
      at += length;
    }
    assertThat(digest.digest()).isEqualTo(jdk().digest(data));
  }

  @Test
  void aDigestResetsAndACloneGoesOnAlone() throws Exception {
    byte[] first = bytes(5000);
    byte[] second = bytes(7000);
    MessageDigest digest = Sha256.newDigest();
    digest.update(first);
    MessageDigest clone = (MessageDigest) digest.clone();
    assertThat(digest.digest()).isEqualTo(jdk().digest(first));
    clone.update(second);
    MessageDigest both = jdk();
    both.update(first);
    both.update(second);
    assertThat(clone.digest()).isEqualTo(both.digest());
    assertThat(digest.digest(second)).as("after a digest, a fresh start").isEqualTo(jdk().digest(second));
    digest.update(first);
    digest.reset();
    assertThat(digest.digest(second)).isEqualTo(jdk().digest(second));
  }

  private byte[] bytes(int length) {
    byte[] data = new byte[length];
    random.nextBytes(data);
    return data;
  }

  private static MessageDigest jdk() throws Exception {
    return MessageDigest.getInstance("SHA-256");
  }

  private static String hex(byte[] digest) {
    return HexFormat.of().formatHex(digest);
  }
}
