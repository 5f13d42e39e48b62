package io.berth.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** posix_spawnp with file actions and a working directory, poll and waitpid (also WNOHANG), on real programs. */
class SpawnTest {
  private final Syscalls sys = LinuxSyscalls.INSTANCE;
  @TempDir Path dir;

  @Test
  void aChildRunsInTheWorkingDirectoryGivenAndWritesToTheDescriptorsGiven() throws Exception {
    int[] pipe = Spawn.pipe();
    int pid;
    try {
      pid = Spawn.spawnp("pwd", List.of("pwd"), List.of("PATH=/usr/bin:/bin"),
          List.of(new Spawn.FileAction.Open(0, "/dev/null", Syscalls.O_RDONLY, 0),
              new Spawn.FileAction.Dup(pipe[1], 1)), dir, 3);
    } finally {
      sys.close(pipe[1]);
    }
    String out = readAll(pipe[0]);
    sys.close(pipe[0]);

    assertThat(out).isEqualTo(dir.toRealPath() + "\n");
    assertThat(exitCode(Spawn.waitpid(pid))).isZero();
  }

  @Test
  void aMissingWorkingDirectoryOrProgramFailsWithItsErrno() {
    assertThatThrownBy(() -> Spawn.spawnp("/bin/true", List.of("true"), List.of(), List.of(),
        dir.resolve("missing"), 3))
        .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT))
        .hasMessageContaining("missing");
    assertThatThrownBy(() -> Spawn.spawnp("/nonexistent/program", List.of("x"), List.of(), List.of(), null, 3))
        .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
  }

  @Test
  void aReapedChildIsNoLongerOurs() throws Exception {
    int pid = Spawn.spawnp("/bin/true", List.of("true"), List.of(), List.of(), null, 0);
    assertThat(exitCode(Spawn.waitpid(pid))).isZero();
    assertThatThrownBy(() -> Spawn.waitpid(pid))
        .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ECHILD));
  }

  @Test
  void waitpidIfExitedAnswersAtOnceAndReapsOnlyAnExitedChild() throws Exception {
    int pid = Spawn.spawnp("/bin/sleep", List.of("sleep", "30"), List.of(), List.of(), null, 0);
    assertThat(Spawn.waitpidIfExited(pid)).as("still running").isEmpty();
    Spawn.kill(pid, 9);
    var status = await().atMost(Duration.ofSeconds(10)).until(() -> Spawn.waitpidIfExited(pid), OptionalInt::isPresent);
    assertThat(status.getAsInt() & 0x7f).as("killed by SIGKILL").isEqualTo(9);
    assertThatThrownBy(() -> Spawn.waitpidIfExited(pid))
        .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ECHILD));
  }

  private String readAll(int fd) throws SyscallException {
    List<Byte> bytes = new ArrayList<>();
    byte[] buffer = new byte[256];
    while (true) {
      boolean[] ready = Spawn.pollReadable(new int[] {-1, fd}, 10_000);
      assertThat(ready[0]).isFalse();
      if (!ready[1]) {
        continue;
      }
      int n = sys.read(fd, buffer);
      if (n == 0) {
        break;
      }
      for (int i = 0; i < n; i++) {
        bytes.add(buffer[i]);
      }
    }
    byte[] all = new byte[bytes.size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = bytes.get(i);
    }
    return new String(all);
  }

  private static int exitCode(int status) {
    return (status >> 8) & 0xff;
  }
}
