package io.berth.cri.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDirLockTest {
  @Test
  void secondLockIsRefusedNamingTheOwner(@TempDir Path state) throws Exception {
    try (StateDirLock first = StateDirLock.acquire(state)) {
      assertThat(Files.readString(state.resolve("berthd.lock")).strip())
          .isEqualTo(Long.toString(ProcessHandle.current().pid()));
      assertThatThrownBy(() -> StateDirLock.acquire(state))
          .isInstanceOf(StateDirLock.AlreadyRunningException.class)
          .hasMessageContaining("pid " + ProcessHandle.current().pid())
          .hasMessageContaining(state.toString());
    }
    // Released: the next owner gets it.
    StateDirLock.acquire(state).close();
  }
}
