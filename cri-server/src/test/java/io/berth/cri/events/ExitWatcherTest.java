package io.berth.cri.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExitWatcherTest {
  @TempDir Path exits;

  @Test
  void anExitFileIsReportedOnceTaken() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    try (ExitWatcher watcher = new ExitWatcher(exits, id -> seen.add(id))) {
      Files.writeString(exits.resolve("c1"), "0");
      Files.writeString(exits.resolve("c1.tmp"), "0"); // conmon's temporary names are not exits
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("c1"));
    }
    assertThat(seen).doesNotContain("c1.tmp");
  }

  @Test
  void anExitNotTakenYetIsOfferedAgainAFewTimes() throws Exception {
    AtomicInteger offers = new AtomicInteger();
    try (ExitWatcher watcher = new ExitWatcher(exits, id -> offers.incrementAndGet() >= 3)) {
      Files.writeString(exits.resolve("c2"), "137");
      await().atMost(Duration.ofSeconds(10)).until(() -> offers.get() >= 3);
    }
    assertThat(offers.get()).isLessThanOrEqualTo(4); // create and modify events may both count
  }
}
