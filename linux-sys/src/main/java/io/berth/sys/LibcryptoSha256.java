package io.berth.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.NoSuchElementException;

/**
 * SHA-256 by libcrypto's {@code SHA256_Init/Update/Final}, its context kept in a Java array.
 *
 * <p>The low-level functions (deprecated in OpenSSL 3 in favour of EVP, still exported by
 * libcrypto.so.3) hash with the same assembly as EVP, and their context is a plain 112-byte struct:
 * held in a {@code long[]} and passed to critical downcalls as a heap segment, it needs no native
 * allocation to free, and a clone is an array copy. The layer bytes are passed the same way,
 * without a copy.
 */
final class LibcryptoSha256 extends MessageDigest implements Cloneable {
  /** Whether libcrypto.so.3 and its SHA-256 functions were found. */
  static final boolean AVAILABLE;

  /** The most one downcall hashes: ~0.6 ms at libcrypto's 1.7 GB/s. */
  private static final long MAX_CRITICAL_BYTES = 1 << 20;
  /** sizeof(SHA256_CTX): h[8], Nl, Nh, data[16], num, md_len, all 32-bit; longs keep it 8-aligned. */
  private static final int CONTEXT_LONGS = 14;
  private static final int DIGEST_BYTES = 32;
  private static final MethodHandle INIT;
  private static final MethodHandle UPDATE;
  private static final MethodHandle FINAL;

  static {
    MethodHandle init = null;
    MethodHandle update = null;
    MethodHandle fin = null;
    try {
      SymbolLookup crypto = SymbolLookup.libraryLookup("libcrypto.so.3", Arena.global());
      Linker linker = Linker.nativeLinker();
      // Critical: heap arrays are passed as they are (no copy), and each call is short enough
      // (a read buffer at ~1.7 GB/s) to hold up the garbage collector for.
      Linker.Option heapAccess = Linker.Option.critical(true);
      init = linker.downcallHandle(crypto.findOrThrow("SHA256_Init"),
          FunctionDescriptor.of(JAVA_INT, ADDRESS), heapAccess);
      update = linker.downcallHandle(crypto.findOrThrow("SHA256_Update"),
          FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG), heapAccess);
      fin = linker.downcallHandle(crypto.findOrThrow("SHA256_Final"),
          FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), heapAccess);
    } catch (IllegalArgumentException | NoSuchElementException notThere) {
      init = null; // no libcrypto.so.3, or one without these functions: the JDK's digest is used
    }
    INIT = init;
    UPDATE = update;
    FINAL = fin;
    AVAILABLE = init != null && update != null && fin != null;
  }

  private long[] context = new long[CONTEXT_LONGS];

  LibcryptoSha256() {
    super("SHA-256");
    engineReset();
  }

  @Override
  protected int engineGetDigestLength() {
    return DIGEST_BYTES;
  }

  @Override
  protected void engineUpdate(byte input) {
    engineUpdate(new byte[] {input}, 0, 1); // rare: streams hash what they read in blocks
  }

  @Override
  protected void engineUpdate(byte[] input, int offset, int length) {
    update(MemorySegment.ofArray(input).asSlice(offset, length));
  }

  @Override
  protected void engineUpdate(ByteBuffer input) {
    int length = input.remaining();
    update(MemorySegment.ofBuffer(input));
    input.position(input.position() + length);
  }

  @Override
  protected byte[] engineDigest() {
    byte[] digest = new byte[DIGEST_BYTES];
    try {
      check((int) FINAL.invokeExact(MemorySegment.ofArray(digest), MemorySegment.ofArray(context)), "SHA256_Final");
    } catch (Throwable e) {
      throw new IllegalStateException("SHA256_Final", e);
    }
    engineReset();
    return digest;
  }

  @Override
  protected void engineReset() {
    try {
      check((int) INIT.invokeExact(MemorySegment.ofArray(context)), "SHA256_Init");
    } catch (Throwable e) {
      throw new IllegalStateException("SHA256_Init", e);
    }
  }

  @Override
  public Object clone() throws CloneNotSupportedException {
    LibcryptoSha256 copy = (LibcryptoSha256) super.clone();
    copy.context = context.clone();
    return copy;
  }

  private void update(MemorySegment data) {
    // A critical call on a heap array holds off the garbage collector (and safepoints) until it
    // returns: slices of at most 1 MiB keep that under a millisecond whatever the caller passes.
    for (long offset = 0; offset < data.byteSize(); offset += MAX_CRITICAL_BYTES) {
      MemorySegment slice = data.asSlice(offset, Math.min(MAX_CRITICAL_BYTES, data.byteSize() - offset));
      try {
        check((int) UPDATE.invokeExact(MemorySegment.ofArray(context), slice, slice.byteSize()), "SHA256_Update");
      } catch (Throwable e) {
        throw new IllegalStateException("SHA256_Update", e);
      }
    }
  }

  private static void check(int result, String function) {
    if (result != 1) {
      throw new IllegalStateException(function + " returned " + result);
    }
  }
}
