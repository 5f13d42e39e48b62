package io.berth.image.registry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongConsumer;

/** Passes a body through, telling {@code onBytes} of every read that returned bytes: a pull's progress. */
public final class CountingInputStream extends FilterInputStream {
  private final LongConsumer onBytes;

  public CountingInputStream(InputStream in, LongConsumer onBytes) {
    super(in);
    this.onBytes = onBytes;
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b >= 0) {
      onBytes.accept(1);
    }
    return b;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    int n = in.read(buffer, offset, length);
    if (n > 0) {
      onBytes.accept(n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long skipped = in.skip(n);
    if (skipped > 0) {
      onBytes.accept(skipped);
    }
    return skipped;
  }
}
