package io.berth.cri.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WireCacheTest {
  @Test
  void aMessageIsBuiltAgainOnlyForANewRecordInstanceOrVariant() {
    WireCache<ContainerRecord, String> cache = new WireCache<>();
    AtomicInteger builds = new AtomicInteger();
    ContainerRecord running = ContainerRecord.newBuilder().setId("c1").setPhase(Phase.RUNNING).build();
    assertThat(cache.get("c1", running, null, r -> r.getPhase() + "#" + builds.incrementAndGet()))
        .isEqualTo("RUNNING#1");
    assertThat(cache.get("c1", running, null, r -> r.getPhase() + "#" + builds.incrementAndGet()))
        .isEqualTo("RUNNING#1");
    ContainerRecord equalButNew = running.toBuilder().build();
    assertThat(cache.get("c1", equalButNew, null, r -> r.getPhase() + "#" + builds.incrementAndGet()))
        .as("a replaced record is built again, even when equal").isEqualTo("RUNNING#2");
    assertThat(cache.get("c1", equalButNew, "NOTREADY", r -> "v#" + builds.incrementAndGet())).isEqualTo("v#3");
  }

  @Test
  void entriesOfGoneObjectsAreDroppedPastTheSlack() {
    WireCache<String, String> cache = new WireCache<>();
    for (int i = 0; i < 100; i++) {
      cache.get("c" + i, "r", null, r -> r);
    }
    cache.trim(90, id -> false);
    assertThat(cache.size()).isEqualTo(100);
    cache.trim(10, id -> !id.equals("c0"));
    assertThat(cache.size()).isEqualTo(1);
  }
}
