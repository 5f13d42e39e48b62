package io.berth.cri;

import io.berth.sys.LinuxSyscalls;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives memory that berthd no longer uses back to the kernel. The serial collector returns free
 * heap only after a full collection, and bursts (a batch of pods, a pull) promote short-lived
 * garbage that would otherwise keep the old generation, and so the node's memory, at its
 * high-water mark for good. Every interval, when the old generation has grown by more than a
 * slack since the last trim, one full collection (tens of milliseconds for berthd's live data)
 * lets it shrink back to its live data plus a margin ({@code MaxHeapFreeRatio}), and
 * {@code malloc_trim} returns the freed native memory of the JIT, Netty and the JDK. Growth, not
 * size, is the trigger: a larger live set raises the baseline instead of causing collections.
 */
public final class HeapTrimmer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HeapTrimmer.class);

  /** What the trimmer reads and does: the JVM's in production, a fake in tests. */
  public interface Heap {
    /** Bytes committed to the old generation now. */
    long oldCommitted();

    /** Runs a full collection and returns native free memory to the kernel. */
    void collectAndTrim();
  }

  private final Heap heap;
  private final long slackBytes;
  private long baseline;
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Thread thread;

  private HeapTrimmer(Heap heap, long slackBytes, Duration interval) {
    this.heap = heap;
    this.slackBytes = slackBytes;
    this.baseline = heap.oldCommitted();
    this.thread = interval == null ? null : Thread.ofPlatform().daemon().name("heap-trimmer").start(() -> {
      try {
        while (!closed.await(interval.toMillis(), TimeUnit.MILLISECONDS)) {
          trimIfWorthIt();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  /** Starts trimming the JVM's own heap every {@code interval}. */
  public static HeapTrimmer start(Duration interval, long slackBytes) {
    return new HeapTrimmer(new JvmHeap(), slackBytes, interval);
  }

  /** A trimmer over {@code heap} that runs only when {@link #trimIfWorthIt} is called (tests). */
  static HeapTrimmer manual(Heap heap, long slackBytes) {
    return new HeapTrimmer(heap, slackBytes, null);
  }

  /**
   * One check: collects and trims when the old generation has grown by more than the slack since
   * the last trim (or the start). The young generation has a fixed size: it needs no trimming.
   */
  synchronized boolean trimIfWorthIt() {
    long committed = heap.oldCommitted();
    if (committed - baseline <= slackBytes) {
      return false;
    }
    long start = System.nanoTime();
    heap.collectAndTrim();
    baseline = heap.oldCommitted();
    log.debug("heap trimmed old_committed_mb={} -> {} duration_ms={}", committed >> 20, baseline >> 20,
        (System.nanoTime() - start) / 1_000_000);
    return true;
  }

  @Override
  public void close() throws InterruptedException {
    closed.countDown();
    if (thread != null) {
      thread.join();
    }
  }

  /** The running JVM's old generation ("Tenured Gen" of the serial collector, "Old Gen" of others). */
  private static final class JvmHeap implements Heap {
    private final List<MemoryPoolMXBean> oldPools = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(pool -> pool.getType() == MemoryType.HEAP)
        .filter(pool -> pool.getName().contains("Tenured") || pool.getName().contains("Old")).toList();

    @Override
    public long oldCommitted() {
      return oldPools.stream().mapToLong(pool -> pool.getUsage().getCommitted()).sum();
    }

    @Override
    public void collectAndTrim() {
      System.gc();
      LinuxSyscalls.INSTANCE.mallocTrim();
    }
  }
}
