package io.berth.cri.userns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.FailedPreconditionException;
import io.berth.oci.spec.RuntimeSpec;
import io.berth.snapshot.Mount;
import io.berth.sys.Errno;
import io.berth.sys.RecordingSyscalls;
import io.berth.sys.Syscalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The idmapped views of one container, made and removed over the recording fake (no root, no kernel). */
class ContainerIdmapsTest {
  private static final PodUserNamespace MAPS = new PodUserNamespace(
      List.of(new PodUserNamespace.Range(0, 100000, 65536)), List.of(new PodUserNamespace.Range(0, 200000, 65536)));

  @TempDir Path dir;

  private ContainerIdmaps.Target target() {
    return new ContainerIdmaps.Target(dir.resolve("netns/pod.user").toString(), MAPS);
  }

  @Test
  void theOverlayReadsItsLowerDirsThroughOneIdmappedCopyAndTheUpperBelongsToTheMappedRoot() throws Exception {
    RecordingSyscalls sys = new RecordingSyscalls();
    var idmaps = new ContainerIdmaps(sys, dir.resolve("idmap"), dir.resolve("state-userns"));
    String store = dir.resolve("snapshots").toString();
    List<Mount> rewritten = idmaps.layers("c1", "rootfs", target(), List.of(new Mount("overlay", "overlay",
        List.of("index=off", "lowerdir=" + store + "/3/fs:" + store + "/1/fs", "upperdir=" + store + "/7/fs",
            "workdir=" + store + "/7/work"))));

    Path copy = dir.resolve("idmap/c1/rootfs");
    assertThat(rewritten.getFirst().options()).containsExactly("index=off",
        "lowerdir=" + copy + "/3/fs:" + copy + "/1/fs", "upperdir=" + store + "/7/fs", "workdir=" + store + "/7/work");
    var idmapped = sys.calls("mountIdmapped");
    assertThat(idmapped).hasSize(1);
    assertThat(idmapped.getFirst().arg(0)).as("the lower dirs' common directory").isEqualTo(store);
    assertThat(idmapped.getFirst().arg(1)).isEqualTo(copy.toString());
    assertThat(idmapped.getFirst().arg(3)).as("recursive").isEqualTo(false);
    assertThat(sys.calls("openat").getFirst().arg(1)).isEqualTo(target().pin());
    assertThat(sys.openFds()).as("the namespace's descriptor is closed").isEmpty();
    assertThat(sys.calls("fchownat").getFirst().args()).containsExactly(Syscalls.AT_FDCWD, store + "/7/fs", 100000L,
        200000L, Syscalls.AT_SYMLINK_NOFOLLOW);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("idmap"))))
        .as("the copy shows every layer: root only").isEqualTo("rwx------");
  }

  @Test
  void everyBindIsIdmappedButImageVolumeViewsAndTheRootfsIsBoundWhereTheMappedRootReachesIt() throws Exception {
    RecordingSyscalls sys = new RecordingSyscalls();
    var idmaps = new ContainerIdmaps(sys, dir.resolve("idmap"), dir.resolve("state-userns"));
    Path hosts = Files.writeString(dir.resolve("hosts"), "127.0.0.1 localhost\n");
    Path volume = Files.createDirectories(dir.resolve("volume"));
    Path view = Files.createDirectories(dir.resolve("image-volumes/c1/0"));
    RuntimeSpec spec = new RuntimeSpec(RuntimeSpec.OCI_VERSION, null, new RuntimeSpec.Root("/ignored", false), "h",
        List.of(new RuntimeSpec.Mount("/proc", "proc", "proc", List.of()),
            new RuntimeSpec.Mount("/etc/hosts", "bind", hosts.toString(), List.of("rbind", "rprivate", "rw")),
            new RuntimeSpec.Mount("/data", "bind", volume.toString(), List.of("rbind", "rslave", "rw")),
            new RuntimeSpec.Mount("/vol", "bind", view.toString(), List.of("rbind", "rprivate", "ro"))),
        new RuntimeSpec.Linux(List.of(new RuntimeSpec.Namespace("mount", null)), "/berth/c1", null, null, null, null,
            null, null, null),
        null);

    RuntimeSpec joined = idmaps.join("c1", target(), spec, dir.resolve("rootfs/c1"),
        source -> Path.of(source).startsWith(dir.resolve("image-volumes/c1")));

    Path own = dir.resolve("state-userns/c1");
    assertThat(joined.root().path()).isEqualTo(own.resolve("rootfs").toString());
    assertThat(joined.mounts()).extracting(RuntimeSpec.Mount::source).containsExactly("proc",
        own.resolve("mounts/1").toString(), own.resolve("mounts/2").toString(), own.resolve("mounts/3").toString());
    assertThat(Files.isRegularFile(own.resolve("mounts/1"))).as("a file's mount point is a file").isTrue();
    assertThat(sys.calls("mountIdmapped")).extracting(c -> c.arg(0)).containsExactly(hosts.toString(),
        volume.toString());
    assertThat(sys.calls("mount")).extracting(c -> c.arg(0) + " -> " + c.arg(1)).containsExactly(
        dir.resolve("rootfs/c1") + " -> " + own.resolve("rootfs"),
        view + " -> " + own.resolve("mounts/3"));
    assertThat(joined.linux().namespaces()).contains(new RuntimeSpec.Namespace("user", target().pin()));
    assertThat(joined.linux().gidMappings()).containsExactly(new RuntimeSpec.IdMapping(0, 200000, 65536));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("state-userns"))))
        .isEqualTo("rwx--x--x");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(own))).isEqualTo("rwx--x---");
    assertThat(sys.calls("fchownat").getFirst().args()).containsExactly(Syscalls.AT_FDCWD, own.toString(), 0L,
        200000L, Syscalls.AT_SYMLINK_NOFOLLOW);

    idmaps.remove("c1");
    assertThat(sys.mounts()).as("every view unmounted").isEmpty();
    assertThat(own).doesNotExist();
    assertThat(idmaps.ids()).isEmpty();
    idmaps.remove("c1"); // again: nothing there is fine
  }

  @Test
  void aFilesystemThatCannotBeIdmappedIsAFailedPreconditionNamingIt() throws Exception {
    RecordingSyscalls sys = new RecordingSyscalls().failOn("mountIdmapped", Errno.EINVAL);
    var idmaps = new ContainerIdmaps(sys, dir.resolve("idmap"), dir.resolve("state-userns"));
    Path volume = Files.createDirectories(dir.resolve("fuse-volume"));
    RuntimeSpec spec = new RuntimeSpec(RuntimeSpec.OCI_VERSION, null, new RuntimeSpec.Root("/r", false), "h",
        List.of(new RuntimeSpec.Mount("/data", "bind", volume.toString(), List.of("rbind", "rw"))),
        new RuntimeSpec.Linux(List.of(), "/berth/c2", null, null, null, null, null, null, null), null);
    assertThatThrownBy(() -> idmaps.join("c2", target(), spec, dir.resolve("rootfs/c2"), s -> false))
        .isInstanceOf(FailedPreconditionException.class).hasMessageContaining(volume.toString())
        .hasMessageContaining("cannot be idmapped");
    idmaps.remove("c2");
    assertThat(sys.mounts()).isEmpty();
    assertThat(sys.openFds()).isEmpty();
  }
}
