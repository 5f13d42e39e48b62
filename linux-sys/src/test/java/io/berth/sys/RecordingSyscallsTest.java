package io.berth.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fake itself: what it records, what it models, and the failures it injects. */
class RecordingSyscallsTest {
  @TempDir Path dir;

  @Test
  void everyCallIsRecordedInOrderWithItsArguments() throws Exception {
    var sys = new RecordingSyscalls();
    int fd = sys.open("/etc/hostname", Syscalls.O_RDONLY);
    sys.mkdirat(fd, "sub", 0755);
    sys.close(fd);

    assertThat(sys.names()).containsExactly("openat", "mkdirat", "close");
    assertThat(sys.calls("mkdirat").getFirst().args()).containsExactly(fd, "sub", 0755);
    assertThat(sys.calls().getFirst()).hasToString("openat(-100, /etc/hostname, 0, 0)");
  }

  @Test
  void descriptorsAreModelledSoALeakOrADoubleCloseShows() throws Exception {
    var sys = new RecordingSyscalls();
    int file = sys.openat(Syscalls.AT_FDCWD, "/a", Syscalls.O_RDONLY, 0);
    int socket = sys.connectSeqPacket("/run/attach");
    int memfd = sys.memfdCreate("runc", Syscalls.MFD_CLOEXEC | Syscalls.MFD_ALLOW_SEALING);
    Pty pty = sys.openPty();
    assertThat(sys.openFds()).hasSize(4).containsEntry(file, "/a").containsEntry(socket, "socket to /run/attach")
        .containsEntry(memfd, "memfd runc").containsKey(pty.master());

    sys.close(file);
    sys.close(socket);
    sys.close(memfd);
    sys.close(pty.master());
    sys.close(file);

    assertThat(sys.openFds()).isEmpty();
    assertThat(sys.unknownCloses()).containsExactly(file);
  }

  @Test
  void datagramsAreKeptPerSocketAndABoundSocketIsAnOpenDescriptor() throws Exception {
    var sys = new RecordingSyscalls();
    int fd = sys.bindDatagram("/run/notify");
    sys.sendDatagram("/run/notify", "READY=1".getBytes());
    sys.sendDatagram("@other", "STOPPING=1".getBytes());
    sys.failOn("sendDatagram", Errno.ECONNREFUSED);
    assertThatThrownBy(() -> sys.sendDatagram("/run/notify", "STATUS=x".getBytes()))
        .isInstanceOf(SyscallException.class);

    assertThat(sys.datagrams("/run/notify")).containsExactly("READY=1");
    assertThat(sys.datagrams("@other")).containsExactly("STOPPING=1");
    assertThat(sys.calls("sendDatagram").getLast()).hasToString(
        "sendDatagram(/run/notify, STATUS=x) -> " + Errno.describe(Errno.ECONNREFUSED));
    assertThat(sys.openFds()).containsEntry(fd, "datagram socket at /run/notify");
  }

  @Test
  void mountsAreModelledAndUnmountingWhatIsNotMountedIsEinval() throws Exception {
    var sys = new RecordingSyscalls();
    sys.mount("/src", "/a", null, Syscalls.MS_BIND, null);
    sys.mount("none", "/a", null, Syscalls.MS_REMOUNT | Syscalls.MS_BIND | Syscalls.MS_RDONLY, null);
    sys.mountOverlayLayerwise("/b", List.of("/l1", "/l2"), null, null, true);
    assertThat(sys.mounts()).containsExactly("/a", "/b");

    sys.umount2("/a", 0);
    sys.umount2("/b", Syscalls.MNT_DETACH);
    assertThat(sys.mounts()).isEmpty();
    assertThatThrownBy(() -> sys.umount2("/a", 0)).isInstanceOfSatisfying(SyscallException.class,
        e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
    assertThat(sys.calls().getLast().errno()).isEqualTo(Errno.EINVAL);
  }

  @Test
  void theNthCallOfANameFailsOnceWithTheInjectedErrno() throws Exception {
    var sys = new RecordingSyscalls().failOn("mkdirat", 2, Errno.ENOSPC);
    sys.mkdirat(Syscalls.AT_FDCWD, "one", 0755);
    assertThatThrownBy(() -> sys.mkdirat(Syscalls.AT_FDCWD, "two", 0755))
        .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOSPC))
        .hasMessageContaining("mkdirat").hasMessageContaining("two");
    sys.mkdirat(Syscalls.AT_FDCWD, "three", 0755);

    assertThat(sys.calls("mkdirat")).extracting(RecordingSyscalls.Call::errno).containsExactly(0, Errno.ENOSPC, 0);
  }

  @Test
  void everyCallOfANameOrEveryMatchingCallFailsUntilCleared() throws Exception {
    var sys = new RecordingSyscalls().failOn("mount", Errno.EPERM)
        .failWhen("unshare", call -> ((int) call.arg(0) & Syscalls.CLONE_NEWUTS) != 0, Errno.EINVAL);

    assertThatThrownBy(() -> sys.mount("shm", "/x", "tmpfs", 0, null)).isInstanceOf(SyscallException.class);
    assertThatThrownBy(() -> sys.mount("shm", "/y", "tmpfs", 0, null)).isInstanceOf(SyscallException.class);
    sys.unshare(Syscalls.CLONE_NEWNET);
    assertThatThrownBy(() -> sys.unshare(Syscalls.CLONE_NEWUTS | Syscalls.CLONE_NEWIPC))
        .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
    assertThat(sys.mounts()).as("a failed mount mounts nothing").isEmpty();

    sys.clearFailures();
    sys.mount("shm", "/x", "tmpfs", 0, null);
    assertThat(sys.mounts()).containsExactly("/x");
  }

  @Test
  void aFailedOpenOpensNothing() {
    var sys = new RecordingSyscalls().failOn("openat2", Errno.ELOOP);
    assertThatThrownBy(() -> sys.openat2(3, "a/b", Syscalls.O_RDONLY, 0, Syscalls.RESOLVE_NO_SYMLINKS))
        .isInstanceOf(SyscallException.class);
    assertThat(sys.openFds()).isEmpty();
  }

  @Test
  void namesThatDoNotExistOrCannotFailAreRefused() {
    var sys = new RecordingSyscalls();
    assertThatThrownBy(() -> sys.failOn("mkdir", Errno.EPERM)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("mkdirat");
    assertThatThrownBy(() -> sys.failOn("close", Errno.EBADF)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void writesSealsAndXattrsAreKept() throws Exception {
    var sys = new RecordingSyscalls();
    int fd = sys.memfdCreate("copy", Syscalls.MFD_ALLOW_SEALING);
    sys.writeFully(fd, "hello".getBytes(), 1, 3);
    sys.addSeals(fd, Syscalls.F_SEAL_WRITE);
    sys.addSeals(fd, Syscalls.F_SEAL_SEAL);
    sys.lsetxattr("/f", "user.x", new byte[] {1, 2});

    assertThat(new String(sys.written(fd))).isEqualTo("ell");
    assertThat(sys.seals(fd)).isEqualTo(Syscalls.F_SEAL_WRITE | Syscalls.F_SEAL_SEAL);
    assertThat(sys.lgetxattr("/f", "user.x")).containsExactly(1, 2);
    assertThat(sys.lgetxattr("/f", "user.y")).isNull();
  }

  @Test
  void overARealKernelItForwardsWhatItDoesNotFailAndTracksRealDescriptors() throws Exception {
    var sys = RecordingSyscalls.over(LinuxSyscalls.INSTANCE).failOn("mkdirat", 2, Errno.ENOSPC);
    int fd = sys.openat(Syscalls.AT_FDCWD, dir.toString(), Syscalls.O_DIRECTORY | Syscalls.O_CLOEXEC, 0);
    sys.mkdirat(fd, "one", 0755);
    assertThatThrownBy(() -> sys.mkdirat(fd, "two", 0755)).isInstanceOf(SyscallException.class);
    assertThatThrownBy(() -> sys.mkdirat(fd, "one", 0755))
        .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EEXIST));

    assertThat(Files.isDirectory(dir.resolve("one"))).isTrue();
    assertThat(dir.resolve("two")).doesNotExist();
    assertThat(sys.calls("mkdirat")).extracting(RecordingSyscalls.Call::errno)
        .containsExactly(0, Errno.ENOSPC, Errno.EEXIST);
    assertThat(sys.openFds()).containsOnlyKeys(fd);
    sys.close(fd);
    assertThat(sys.openFds()).isEmpty();
  }
}
