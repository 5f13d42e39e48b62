package io.berth.cri.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kernel, overlayfs, idmapped-mounts, user-namespaces and seccomp against fake /proc trees. */
class KernelChecksTest {
  @TempDir Path root;

  private FakeHost host() {
    return FakeHost.in(root);
  }

  @Test
  void aCurrentKernelPassesAndAnOldOneWarns() {
    assertThat(new KernelCheck(host().file(KernelCheck.OSRELEASE, "6.18.44-fc-v1252\n")).run())
        .extracting(Result::status, Result::detail).containsExactly(Status.PASS, "Linux 6.18.44-fc-v1252");
    Result old = new KernelCheck(host().file(KernelCheck.OSRELEASE, "4.19.0-25-amd64\n")).run();
    assertThat(old.status()).isEqualTo(Status.WARN);
    assertThat(old.detail()).contains("4.19.0-25-amd64", "older than 5.0");
    assertThat(old.fix()).contains("5.x");
  }

  @Test
  void anUnreadableReleaseWarns() {
    assertThat(new KernelCheck(host()).run().status()).isEqualTo(Status.WARN);
  }

  @Test
  void overlayRegisteredPassesAsModulePassesAndAbsentFails() {
    assertThat(new OverlayCheck(host().file("/proc/filesystems", "nodev\tsysfs\nnodev\toverlay\n")).run().status())
        .isEqualTo(Status.PASS);
    FakeHost module = host().file("/proc/filesystems", "nodev\tsysfs\n")
        .file(KernelCheck.OSRELEASE, "6.1.0-18-amd64\n")
        .dir("/lib/modules/6.1.0-18-amd64/kernel/fs/overlayfs");
    assertThat(new OverlayCheck(module).run().detail()).contains("module", "first mount");
    Result absent = new OverlayCheck(host().file("/proc/filesystems", "nodev\tsysfs\n\text4\n")).run();
    assertThat(absent.status()).isEqualTo(Status.FAIL);
    assertThat(absent.fix()).contains("modprobe overlay");
  }

  @Test
  void idmappedMountsFollowTheKernelRelease() {
    assertThat(new IdmappedMountsCheck(host().file(KernelCheck.OSRELEASE, "6.1.0\n")).run().status())
        .isEqualTo(Status.PASS);
    Result partly = new IdmappedMountsCheck(host().file(KernelCheck.OSRELEASE, "5.15.0-91-generic\n")).run();
    assertThat(partly.status()).isEqualTo(Status.WARN);
    assertThat(partly.detail()).contains("overlayfs", "5.19");
    Result none = new IdmappedMountsCheck(host().file(KernelCheck.OSRELEASE, "5.10.0-28-amd64\n")).run();
    assertThat(none.status()).isEqualTo(Status.WARN);
    assertThat(none.detail()).contains("no mount_setattr");
    assertThat(none.fix()).contains("5.12");
  }

  @Test
  void userNamespacesNeedAPositiveLimit() {
    assertThat(new UserNamespacesCheck(host().file(UserNamespacesCheck.MAX, "96369\n")).run())
        .extracting(Result::status, Result::detail).containsExactly(Status.PASS, "user.max_user_namespaces = 96369");
    Result zero = new UserNamespacesCheck(host().file(UserNamespacesCheck.MAX, "0\n")).run();
    assertThat(zero.status()).isEqualTo(Status.WARN);
    assertThat(zero.fix()).startsWith("sysctl -w user.max_user_namespaces=");
    assertThat(new UserNamespacesCheck(host()).run().detail()).contains("CONFIG_USER_NS");
  }

  @Test
  void seccompNeedsFiltersWithErrno() {
    FakeHost filters = host().file(SeccompCheck.ACTIONS, "kill_process kill_thread trap errno user_notif trace log "
        + "allow\n");
    assertThat(new SeccompCheck(filters).run().status()).isEqualTo(Status.PASS);
    FakeHost fieldOnly = host().file("/proc/self/status", "Name:\tjava\nSeccomp:\t0\nSeccomp_filters:\t0\n");
    assertThat(new SeccompCheck(fieldOnly).run().status()).isEqualTo(Status.PASS);
    Result none = new SeccompCheck(host().file("/proc/self/status", "Name:\tjava\n")).run();
    assertThat(none.status()).isEqualTo(Status.FAIL);
    assertThat(none.fix()).contains("CONFIG_SECCOMP");
  }
}
