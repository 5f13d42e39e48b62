package io.berth.cri.doctor;

import java.util.List;

/**
 * OpenSSL's libcrypto.so.3, with which berthd computes the SHA-256 of pulled content. Without it
 * berthd falls back to the JDK's SHA-256, which its C1-only JIT runs several times slower: a cold
 * pull of ~300 MB took 2.5 times containerd's time in {@code make bench}, against 0.7 with it.
 */
final class LibcryptoCheck implements Check {
  static final String LIBRARY = "libcrypto.so.3";
  /** Where the dynamic linker finds it on Debian and other multiarch or lib64 layouts. */
  static final List<String> DIRECTORIES = List.of("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
      "/usr/lib64", "/lib64", "/usr/lib", "/lib");

  private final Host host;

  LibcryptoCheck(Host host) {
    this.host = host;
  }

  @Override
  public String name() {
    return "libcrypto";
  }

  @Override
  public Result run() {
    for (String dir : DIRECTORIES) {
      if (host.exists(dir + "/" + LIBRARY)) {
        return Result.pass(name(), dir + "/" + LIBRARY + ": pulled content is hashed by OpenSSL");
      }
    }
    return Result.warn(name(), "no " + LIBRARY + ": berthd hashes pulled content with the JDK's SHA-256,"
        + " several times slower under its C1-only JIT", "apt-get install libssl3 (libssl3t64 from Debian 13)");
  }
}
