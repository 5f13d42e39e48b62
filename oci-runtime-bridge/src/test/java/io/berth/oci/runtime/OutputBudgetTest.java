package io.berth.oci.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Both streams together within the total; each open stream keeps a reserve; blocks instead of doubling arrays. */
class OutputBudgetTest {
  private static final int STDOUT = 0;
  private static final int STDERR = 1;

  @Test
  void whatFitsIsKeptWhole() {
    var budget = new OutputBudget(1000, 2);
    assertThat(budget.offer(STDOUT, bytes(100, 'o'), 100)).isEqualTo(100);
    assertThat(budget.offer(STDERR, bytes(50, 'e'), 50)).isEqualTo(50);
    assertThat(budget.truncated()).isFalse();
    assertThat(budget.take(STDOUT)).isEqualTo(bytes(100, 'o'));
    assertThat(budget.take(STDERR)).isEqualTo(bytes(50, 'e'));
  }

  @Test
  void aFloodOnOneStreamLeavesTheOtherItsReserveWhileItIsOpen() {
    var budget = new OutputBudget(1000, 2);
    assertThat(budget.reserve()).isEqualTo(250);
    assertThat(budget.offer(STDOUT, bytes(5000, 'o'), 5000)).isEqualTo(750);
    assertThat(budget.offer(STDOUT, bytes(10, 'o'), 10)).isZero();
    assertThat(budget.truncated()).isTrue();
    assertThat(budget.offer(STDERR, bytes(400, 'e'), 400)).as("its reserve").isEqualTo(250);
    assertThat(budget.take(STDOUT).length + budget.take(STDERR).length).isEqualTo(1000);
  }

  @Test
  void aStreamThatEndedNeedsNoReserve() {
    var budget = new OutputBudget(1000, 2);
    budget.offer(STDERR, bytes(10, 'e'), 10);
    budget.ended(STDERR);
    assertThat(budget.offer(STDOUT, bytes(5000, 'o'), 5000)).isEqualTo(990);
  }

  @Test
  void theReserveIsAtMostOneMebibyte() {
    assertThat(new OutputBudget(16 << 20, 2).reserve()).isEqualTo(1 << 20);
    assertThat(new OutputBudget(Integer.MAX_VALUE, 2).reserve()).isEqualTo(1 << 20);
    assertThat(new OutputBudget(1000, 1).reserve()).isZero();
  }

  @Test
  void manySmallWritesAreKeptInWholeBlocks() {
    var budget = new OutputBudget(3 * OutputBudget.BLOCK, 1);
    byte[] one = {'x'};
    for (int i = 0; i < 2 * OutputBudget.BLOCK + 7; i++) {
      budget.offer(STDOUT, one, 1);
    }
    assertThat(budget.take(STDOUT)).hasSize(2 * OutputBudget.BLOCK + 7).containsOnly('x');
  }

  @Test
  void anUnboundedBudgetDoesNotOverflow() {
    var budget = new OutputBudget(Integer.MAX_VALUE, 2);
    assertThat(budget.offer(STDOUT, bytes(100, 'o'), 100)).isEqualTo(100);
    assertThat(budget.truncated()).isFalse();
  }

  private static byte[] bytes(int n, char c) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) c);
    return b;
  }
}
