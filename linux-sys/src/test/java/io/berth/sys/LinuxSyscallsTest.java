package io.berth.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The calls that need no root, on the real kernel: pipes, reads and writes, memfd seals, datagrams, errno. */
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

  /** One datagram from {@code fd}, waiting at most 5 s. */
  private String receive(int fd) throws SyscallException {
    assertThat(Spawn.pollReadable(new int[] {fd}, 5000)[0]).as("a datagram arrived").isTrue();
    byte[] buffer = new byte[4096];
    int n = sys.read(fd, buffer);
    return new String(buffer, 0, n, StandardCharsets.UTF_8);
  }

  @Test
  void datagramsSentToABoundSocketArriveOneByOne() throws Exception {
    String path = dir.resolve("notify").toString();
    int fd = sys.bindDatagram(path);
    try {
      sys.sendDatagram(path, "READY=1\nSTATUS=up".getBytes(StandardCharsets.UTF_8));
      sys.sendDatagram(path, "STOPPING=1".getBytes(StandardCharsets.UTF_8));
      assertThat(receive(fd)).isEqualTo("READY=1\nSTATUS=up");
      assertThat(receive(fd)).isEqualTo("STOPPING=1");
    } finally {
      sys.close(fd);
    }
  }

  @Test
  void aLeadingAtNamesTheAbstractNamespace() throws Exception {
    String name = "@berth-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    int fd = sys.bindDatagram(name);
    try {
      sys.sendDatagram(name, "READY=1".getBytes(StandardCharsets.UTF_8));
      assertThat(receive(fd)).isEqualTo("READY=1");
      assertThat(dir.resolve(name.substring(1))).doesNotExist();
    } finally {
      sys.close(fd);
    }
    // Gone with its socket: an abstract name leaves no file behind to connect to.
    assertThatThrownBy(() -> sys.sendDatagram(name, new byte[] {'x'}))
        .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ECONNREFUSED));
  }

  @Test
  void datagramAddressesAreCheckedBeforeAnySocketIsMade() throws Exception {
    byte[] message = "READY=1".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> sys.sendDatagram(dir.resolve("absent").toString(), message))
        .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
    assertThatThrownBy(() -> sys.sendDatagram("/" + "x".repeat(107), message))
        .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENAMETOOLONG))
        .hasMessageContaining("too long");
    assertThatThrownBy(() -> sys.sendDatagram("@" + "x".repeat(108), message))
        .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENAMETOOLONG));
    assertThatThrownBy(() -> sys.sendDatagram("", message))
        .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
    // The longest abstract name fills all of sun_path and still works.
    String longest = "@" + ("berth-" + System.nanoTime() + "-").repeat(10).substring(0, 107);
    int fd = sys.bindDatagram(longest);
    try {
      sys.sendDatagram(longest, message);
      assertThat(receive(fd)).isEqualTo("READY=1");
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
