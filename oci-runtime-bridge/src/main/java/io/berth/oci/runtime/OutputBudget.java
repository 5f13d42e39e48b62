package io.berth.oci.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * What is kept of a child's collected stdout and stderr, decided while they are read: at most
 * {@code total} bytes of both together, so that what is kept always fits one answer (ExecSync's
 * reply must fit the kubelet's 16 MiB message). One stream may use what the other leaves, but
 * while the other is still open a {@link #reserve} stays free for it: a command that floods
 * stdout and then explains itself on stderr keeps that explanation. What is not kept is still
 * read by the caller and dropped, so the child never blocks on a full pipe.
 *
 * <p>Kept bytes go into blocks of {@link #BLOCK} bytes, so the memory held is what is kept
 * rounded up to a block, however small the child's writes, and nothing doubles as a growing
 * array would. Not thread-safe: one draining thread owns it.
 */
final class OutputBudget {
  static final int BLOCK = 64 * 1024;
  private static final int MAX_RESERVE = 1024 * 1024;

  private final int total;
  private final int reserve;
  private final Stream[] streams;
  private boolean truncated;

  /** A budget of {@code total} bytes over {@code streams} streams, each open until {@link #ended}. */
  OutputBudget(int total, int streams) {
    if (total < 0 || streams < 1) {
      throw new IllegalArgumentException("budget " + total + " over " + streams + " streams");
    }
    this.total = total;
    this.reserve = streams == 1 ? 0 : Math.min(MAX_RESERVE, total / (2 * streams));
    this.streams = new Stream[streams];
    for (int i = 0; i < streams; i++) {
      this.streams[i] = new Stream();
    }
  }

  /** Bytes held back for each other stream while it is open. */
  int reserve() {
    return reserve;
  }

  /** Keeps what the budget allows of the first {@code length} bytes of {@code data}; returns how many. */
  int offer(int stream, byte[] data, int length) {
    int room = room(stream);
    int kept = Math.max(0, Math.min(length, room));
    streams[stream].append(data, kept);
    truncated |= kept < length;
    return kept;
  }

  /** {@code stream} reached its end (or failed): it needs no reserve any more. */
  void ended(int stream) {
    streams[stream].open = false;
  }

  /** Whether any offered byte was dropped. */
  boolean truncated() {
    return truncated;
  }

  /** What {@code stream} kept, as one array of exactly that size; its blocks are released. */
  byte[] take(int stream) {
    return streams[stream].take();
  }

  private int room(int stream) {
    long claimed = 0;
    for (int i = 0; i < streams.length; i++) {
      Stream other = streams[i];
      claimed += i == stream || !other.open ? other.size : Math.max(other.size, reserve);
    }
    return (int) Math.max(0, Math.min(Integer.MAX_VALUE, total - claimed));
  }

  /** One stream's kept bytes, in blocks. */
  private static final class Stream {
    private final List<byte[]> blocks = new ArrayList<>();
    private int size;
    private boolean open = true;

    void append(byte[] data, int length) {
      int from = 0;
      while (from < length) {
        int used = size % BLOCK;
        if (used == 0) {
          blocks.add(new byte[BLOCK]);
        }
        int n = Math.min(length - from, BLOCK - used);
        System.arraycopy(data, from, blocks.getLast(), used, n);
        from += n;
        size += n;
      }
    }

    byte[] take() {
      byte[] all = new byte[size];
      for (int i = 0; i < blocks.size(); i++) {
        int offset = i * BLOCK;
        System.arraycopy(blocks.get(i), 0, all, offset, Math.min(BLOCK, size - offset));
      }
      blocks.clear();
      return all;
    }
  }
}
