package io.berth.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The calls that need no root, on the real kernel: pipes, reads and writes, memfd seals, errno. */
class LinuxSyscallsTest {
  private final Syscalls sys = LinuxSyscalls.INSTANCE;
  @TempDir Path dir;

  @Test
  void bytesWrittenToAPipeAreReadBackAndAClosedWriterIsEndOfFile() throws Exception {
    int[] pipe = Spawn.pipe();
    sys.writeFully(pipe[1], "xhello".getBytes(), 1, 5);
    sys.close(pipe[1]);
    byte[] buffer = new byte[64];
    int n = sys.read(pipe[0], buffer);
    assertThat(new String(buffer, 0, n)).isEqualTo("hello");
    assertThat(sys.read(pipe[0], buffer)).isZero();
    sys.close(pipe[0]);
  }

  @Test
  void aSealedMemfdReportsItsSeals() throws Exception {
    int fd = sys.memfdCreate("test", Syscalls.MFD_CLOEXEC | Syscalls.MFD_ALLOW_SEALING);
    try {
      sys.addSeals(fd, Syscalls.F_SEAL_WRITE | Syscalls.F_SEAL_SEAL);
      assertThat(sys.seals(fd)).isEqualTo(Syscalls.F_SEAL_WRITE | Syscalls.F_SEAL_SEAL);
      assertThatThrownBy(() -> sys.addSeals(fd, Syscalls.F_SEAL_GROW))
          .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPERM));
    } finally {
      sys.close(fd);
    }
  }

  @Test
  void failuresCarryTheirErrno() throws Exception {
    assertThatThrownBy(() -> sys.open(dir.resolve("missing").toString(), Syscalls.O_RDONLY))
        .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT))
        .hasMessageContaining("missing");
    assertThatThrownBy(() -> sys.connectSeqPacket(dir.resolve("no-socket").toString()))
        .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
    assertThatThrownBy(() -> sys.connectSeqPacket("/" + "x".repeat(120)))
        .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENAMETOOLONG));
    Files.createDirectory(dir.resolve("d"));
    assertThatThrownBy(() -> sys.unlinkat(Syscalls.AT_FDCWD, dir.resolve("d").toString(), 0))
        .isInstanceOf(SyscallException.class);
  }
}
