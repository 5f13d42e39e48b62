package io.berth.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HeapTrimmerTest {
  private static final long MB = 1L << 20;

  /** An old generation that grows by hand and shrinks to live data plus a fifth on collection. */
  private static final class FakeHeap implements HeapTrimmer.Heap {
    long committed;
    long live;
    int collections;

    @Override
    public long oldCommitted() {
      return committed;
    }

    @Override
    public void collectAndTrim() {
      collections++;
      committed = live + live / 5;
    }
  }

  @Test
  void collectsWhenTheOldGenerationGrewByMoreThanTheSlackSinceTheLastTrim() {
    FakeHeap heap = new FakeHeap();
    heap.live = 12 * MB;
    heap.committed = 16 * MB;
    HeapTrimmer trimmer = HeapTrimmer.manual(heap, 8 * MB);

    heap.committed = 24 * MB; // grown by exactly the slack: not yet
    assertFalse(trimmer.trimIfWorthIt());
    heap.committed = 40 * MB; // a burst promoted garbage
    assertTrue(trimmer.trimIfWorthIt());
    assertEquals(1, heap.collections);
    assertEquals(12 * MB + 12 * MB / 5, heap.committed);
    assertFalse(trimmer.trimIfWorthIt()); // nothing grew since
  }

  @Test
  void aLargerLiveSetRaisesTheBaselineInsteadOfCausingCollections() {
    FakeHeap heap = new FakeHeap();
    heap.committed = 16 * MB;
    HeapTrimmer trimmer = HeapTrimmer.manual(heap, 8 * MB);

    heap.live = 100 * MB; // a thousand containers' records, all alive
    heap.committed = 110 * MB;
    assertTrue(trimmer.trimIfWorthIt());
    heap.committed = 125 * MB; // within the slack of the new baseline of 120 MB
    assertFalse(trimmer.trimIfWorthIt());
    assertEquals(1, heap.collections);
  }
}
