package io.berth.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.sys.Errno;
import io.berth.sys.RecordingSyscalls;
import io.berth.sys.SyscallException;
import io.berth.sys.Syscalls;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Mount records to system calls, and what a failure leaves behind, on the recording fake (no root). */
class MounterTest {
  private final RecordingSyscalls sys = new RecordingSyscalls();
  private final Mounter mounter = new Mounter(sys);
  private final Path target = Path.of("/run/berth/rootfs");

  @Test
  void anOverlayIsOneMountCallWithItsOptionsAndUnmountsToNothing() {
    mounter.mount(List.of(new Mount("overlay", "overlay", List.of("lowerdir=/l2:/l1", "ro"))), target);

    assertThat(sys.calls("mount")).singleElement().satisfies(call -> {
      assertThat(call.args()).containsExactly("overlay", target.toString(), "overlay", Syscalls.MS_RDONLY,
          "lowerdir=/l2:/l1");
    });
    assertThat(sys.mounts()).containsExactly(target.toString());
    mounter.unmount(target);
    assertThat(sys.mounts()).isEmpty();
  }

  @Test
  void anOverlayTooLongForAPageGoesLayerByLayer() {
    List<String> lowers = Collections.nCopies(300, "/var/lib/berth/snapshots/123456/fs");
    mounter.mount(List.of(new Mount("overlay", "overlay", List.of("lowerdir=" + String.join(":", lowers),
        "upperdir=/u", "workdir=/w"))), target);

    assertThat(sys.names()).containsExactly("mountOverlayLayerwise");
    assertThat(sys.calls().getFirst().args()).containsExactly(target.toString(), lowers, "/u", "/w", false);
  }

  @Test
  void aFailedMountLeavesNothingMountedAndNamesTheErrno() {
    sys.failOn("mount", Errno.EPERM);

    assertThatThrownBy(() -> mounter.mount(List.of(new Mount("bind", "/src", List.of("rbind"))), target))
        .isInstanceOf(SnapshotException.StorageFailure.class).hasMessageContaining("EPERM")
        .hasCauseInstanceOf(SyscallException.class);
    assertThat(sys.mounts()).isEmpty();
  }

  @Test
  void aReadOnlyBindWhoseRemountFailsIsUnmountedAgain() {
    sys.failOn("mount", 2, Errno.EACCES); // the bind succeeds, making it read-only does not

    assertThatThrownBy(() -> mounter.mount(List.of(new Mount("bind", "/src", List.of("rbind", "ro"))), target))
        .isInstanceOf(SnapshotException.StorageFailure.class).hasMessageContaining("EACCES");
    assertThat(sys.names()).containsExactly("mount", "mount", "umount2");
    assertThat(sys.calls("umount2").getFirst().args()).containsExactly(target.toString(), Syscalls.MNT_DETACH);
    assertThat(sys.mounts()).isEmpty();
  }

  @Test
  void unmountingWhatIsNotMountedIsFine() {
    mounter.unmount(target);
    assertThat(sys.calls("umount2")).singleElement()
        .satisfies(call -> assertThat(call.errno()).isEqualTo(Errno.EINVAL));
  }

  @Test
  void aBusyTargetIsDetached() {
    mounter.mount(List.of(new Mount("bind", "/src", List.of())), target);
    sys.failOn("umount2", 1, Errno.EBUSY);

    mounter.unmount(target);

    assertThat(sys.calls("umount2")).extracting(call -> call.arg(1)).containsExactly(0, Syscalls.MNT_DETACH);
    assertThat(sys.mounts()).isEmpty();
  }

  @Test
  void anUnmountErrorIsReportedWithItsErrnoAndTheMountStays() {
    mounter.mount(List.of(new Mount("bind", "/src", List.of())), target);
    sys.failOn("umount2", Errno.EPERM);

    assertThatThrownBy(() -> mounter.unmount(target)).isInstanceOf(SnapshotException.StorageFailure.class)
        .hasMessageContaining("cannot unmount " + target).hasMessageContaining("EPERM")
        .cause().isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPERM));
    assertThat(sys.mounts()).containsExactly(target.toString());
  }

  @Test
  void aBusyTargetThatCannotBeDetachedEitherReportsBoth() {
    mounter.mount(List.of(new Mount("bind", "/src", List.of())), target);
    sys.failOn("umount2", 1, Errno.EBUSY).failOn("umount2", 2, Errno.EINVAL);

    assertThatThrownBy(() -> mounter.unmount(target)).isInstanceOf(SnapshotException.StorageFailure.class)
        .hasMessageContaining("EBUSY")
        .satisfies(e -> assertThat(e.getCause().getSuppressed()).singleElement()
            .satisfies(s -> assertThat(((SyscallException) s).errno()).isEqualTo(Errno.EINVAL)));
    assertThat(sys.mounts()).containsExactly(target.toString());
  }
}
