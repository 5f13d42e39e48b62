package io.berth.snapshot.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.Zstd;
import io.berth.snapshot.LayerDirs;
import io.berth.snapshot.SnapshotException;
import io.berth.snapshot.Tars;
import io.berth.sys.LinuxSyscalls;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layer application on the real filesystem (tests run as root, as berthd does). */
@Tag("root")
class LayerApplierTest {
  private static final String TAR = "application/vnd.oci.image.layer.v1.tar";
  private final LinuxSyscalls sys = new LinuxSyscalls();
  private final LayerApplier applier = new LayerApplier(sys);

  @TempDir Path work;
  Path upper;
  Path lower;

  @BeforeEach
  void dirs() throws Exception {
    upper = Files.createDirectories(work.resolve("snap/2/fs"));
    lower = Files.createDirectories(work.resolve("snap/1/fs"));
  }

  private AppliedLayer apply(byte[] tar, Path... lowers) {
    return applier.apply(new ByteArrayInputStream(tar), TAR, new LayerDirs(upper, List.of(lowers)), null);
  }

  private static Map<String, Object> lstat(Path p) throws Exception {
    return Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
  }

  static String sha256(byte[] data) throws Exception {
    return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  @Test
  void writesEveryKindOfEntryWithItsMetadata() throws Exception {
    byte[] tar = new Tars()
        .dir("etc").dir("home/user", 0700, 1000, 1000).dir("tmp", 01777, 0, 0)
        .file("etc/passwd", "root:x:0:0\n")
        .file("home/user/secret", "s", 0600, 1000, 1001, Map.of())
        .file("bin-tool", "#!", 04755, 0, 0, Map.of("user.origin", "test"))
        .file("group-tool", "#!", 02755, 0, 50, Map.of())
        .symlink("etc/link", "/etc/passwd")
        .hardlink("etc/passwd-again", "etc/passwd")
        .device("null", TarConstants.LF_CHR, 1, 3, 0666)
        .device("loop0", TarConstants.LF_BLK, 7, 0, 0660)
        .fifo("pipe")
        .file("deep/" + "x".repeat(120) + "/" + "y".repeat(150), "long")
        .build();
    AppliedLayer applied = apply(tar);

    assertThat(applied.diffId()).isEqualTo(sha256(tar));
    assertThat(applied.uncompressedBytes()).isEqualTo(tar.length);
    assertThat(Files.readString(upper.resolve("etc/passwd"))).isEqualTo("root:x:0:0\n");
    assertThat(lstat(upper.resolve("home/user"))).containsEntry("uid", 1000).containsEntry("mode", 040700);
    assertThat(lstat(upper.resolve("tmp")).get("mode")).isEqualTo(041777);
    assertThat(lstat(upper.resolve("home/user/secret"))).containsEntry("uid", 1000).containsEntry("gid", 1001);
    assertThat(lstat(upper.resolve("bin-tool")).get("mode")).isEqualTo(0104755);
    assertThat(lstat(upper.resolve("group-tool")).get("mode")).isEqualTo(0102755);
    assertThat(new String(sys.lgetxattr(upper.resolve("bin-tool").toString(), "user.origin"))).isEqualTo("test");
    assertThat(Files.readSymbolicLink(upper.resolve("etc/link")).toString()).isEqualTo("/etc/passwd");
    assertThat(lstat(upper.resolve("etc/passwd-again")).get("ino"))
        .isEqualTo(lstat(upper.resolve("etc/passwd")).get("ino"));
    assertThat(lstat(upper.resolve("null"))).containsEntry("rdev", Long.valueOf(0x103)).containsEntry("mode", 020666);
    assertThat(((Integer) lstat(upper.resolve("loop0")).get("mode")) & 0170000).isEqualTo(060000);
    assertThat(((Integer) lstat(upper.resolve("pipe")).get("mode")) & 0170000).isEqualTo(010000);
    assertThat(Files.readString(upper.resolve("deep/" + "x".repeat(120) + "/" + "y".repeat(150)))).isEqualTo("long");
    // Directory mtimes are set after their contents were written.
    assertThat(Files.getLastModifiedTime(upper.resolve("etc"), LinkOption.NOFOLLOW_LINKS).toInstant())
        .isEqualTo(Tars.MTIME);
    assertThat(Files.getLastModifiedTime(upper.resolve("etc/link"), LinkOption.NOFOLLOW_LINKS).toInstant())
        .isEqualTo(Tars.MTIME);
  }

  @Test
  void detectsGzipAndZstdAndChecksTheDiffId() throws Exception {
    byte[] tar = new Tars().file("a", "gz").build();
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(tar);
    }
    AppliedLayer viaGzip = applier.apply(new ByteArrayInputStream(gz.toByteArray()),
        "application/vnd.docker.image.rootfs.diff.tar.gzip", new LayerDirs(upper, List.of()), sha256(tar));
    assertThat(viaGzip.diffId()).isEqualTo(sha256(tar));

    Path other = Files.createDirectories(work.resolve("zstd"));
    AppliedLayer viaZstd = applier.apply(new ByteArrayInputStream(Zstd.compress(tar)),
        "application/vnd.oci.image.layer.v1.tar+zstd", new LayerDirs(other, List.of()), sha256(tar));
    assertThat(Files.readString(other.resolve("a"))).isEqualTo("gz");
    assertThat(viaZstd.diffId()).isEqualTo(viaGzip.diffId());
  }

  @Test
  void wrongDiffIdOrMislabelledCompressionFails() throws Exception {
    byte[] tar = new Tars().file("a", "x").build();
    assertThatThrownBy(() -> applier.apply(new ByteArrayInputStream(tar), TAR, new LayerDirs(upper, List.of()),
            "sha256:" + "0".repeat(64)))
        .isInstanceOf(SnapshotException.InvalidLayer.class)
        .hasMessageContaining("diff ID " + sha256(tar));
    assertThatThrownBy(() -> applier.apply(new ByteArrayInputStream(tar), TAR + "+gzip",
            new LayerDirs(upper, List.of()), null))
        .isInstanceOf(SnapshotException.InvalidLayer.class)
        .hasMessageContaining("is not gzip-compressed");
    assertThatThrownBy(() -> applier.apply(new ByteArrayInputStream(new byte[] {0x1f, (byte) 0x8b, 1, 2, 3}),
            TAR + "+gzip", new LayerDirs(upper, List.of()), null))
        .isInstanceOf(SnapshotException.InvalidLayer.class);
  }

  @Test
  void whiteoutsAndOpaqueDirectoriesBecomeOverlayMarkers() throws Exception {
    apply(new Tars().dir("d").file("d/gone", "1").dir("d/sub").file("d/sub/x", "1").dir("o").file("o/old", "1").build(),
        lower);
    // Apply the first layer into 'lower' itself: it is the base for the next one.
    Path base = upper;
    upper = Files.createDirectories(work.resolve("snap/3/fs"));
    apply(new Tars().file("d/.wh.gone", "").file("d/.wh.sub", "").file("o/.wh..wh..opq", "").file("o/new", "n").build(),
        base);

    assertThat(lstat(upper.resolve("d/gone"))).containsEntry("rdev", 0L).containsEntry("mode", 020000);
    assertThat(lstat(upper.resolve("d/sub"))).containsEntry("mode", 020000);
    assertThat(new String(sys.lgetxattr(upper.resolve("o").toString(), "trusted.overlay.opaque"))).isEqualTo("y");
    assertThat(upper.resolve("o/new")).exists();
    // The copied-up parent keeps the lower directory's metadata.
    assertThat(lstat(upper.resolve("d")).get("mode")).isEqualTo(040755);
  }

  @Test
  void whiteoutsInABaseLayerLeaveNoMarker() throws Exception {
    apply(new Tars().dir("d").file("d/.wh.nothing", "").file("d/.wh..wh..opq", "").build());
    assertThat(upper.resolve("d/nothing")).doesNotExist();
    assertThat(sys.lgetxattr(upper.resolve("d").toString(), "trusted.overlay.opaque")).isNull();
  }

  @Test
  void hardLinkToALowerLayerBecomesACopy() throws Exception {
    Files.createDirectories(lower.resolve("usr/bin"));
    Files.writeString(lower.resolve("usr/bin/tool"), "binary");
    apply(new Tars().hardlink("usr/bin/alias", "usr/bin/tool").build(), lower);
    assertThat(Files.readString(upper.resolve("usr/bin/alias"))).isEqualTo("binary");
    assertThat(upper.resolve("usr/bin/tool")).doesNotExist();
  }

  @Test
  void lowerLayerSymlinkInAPathIsFollowedInsideTheRoot() throws Exception {
    Files.createDirectories(lower.resolve("usr/lib"));
    Files.createSymbolicLink(lower.resolve("lib"), Path.of("usr/lib"));
    apply(new Tars().file("lib/libc.so", "c").build(), lower);
    assertThat(Files.readString(upper.resolve("usr/lib/libc.so"))).isEqualTo("c");
    assertThat(upper.resolve("lib")).doesNotExist();
  }

  @Test
  void entriesReplaceWhatTheyCollideWith() throws Exception {
    apply(new Tars()
        .dir("a").file("a/inner", "1")
        .file("a", "now a file")              // a directory replaced by a file
        .symlink("b", "/x").file("b", "file") // a symlink replaced by a file
        .file("c", "1").dir("c")              // a file replaced by a directory
        .build());
    assertThat(Files.readString(upper.resolve("a"))).isEqualTo("now a file");
    assertThat(Files.isSymbolicLink(upper.resolve("b"))).isFalse();
    assertThat(Files.isDirectory(upper.resolve("c"), LinkOption.NOFOLLOW_LINKS)).isTrue();
  }

  @Test
  void traversalNamesAreClampedInsideTheSnapshot() throws Exception {
    Path outside = Files.createDirectories(work.resolve("outside"));
    apply(new Tars()
        .file("../../../outside/evil", "1")
        .file("/abs/evil", "2")
        .file("./a/../../b/evil", "3")
        .build());
    assertThat(outside).isEmptyDirectory();
    assertThat(Files.readString(upper.resolve("outside/evil"))).isEqualTo("1");
    assertThat(Files.readString(upper.resolve("abs/evil"))).isEqualTo("2");
    assertThat(Files.readString(upper.resolve("b/evil"))).isEqualTo("3");
  }

  @Test
  void symlinksCannotCarryWritesOutOfTheSnapshot() throws Exception {
    Path outside = Files.createDirectories(work.resolve("outside"));
    Files.writeString(outside.resolve("keep"), "original");
    Files.createSymbolicLink(lower.resolve("lowerescape"), outside);
    apply(new Tars()
        .symlink("escape", outside.toString())
        .file("escape/keep", "overwritten?")
        .symlink("rel", "../../../../../../../../" + outside)
        .file("rel/new", "x")
        .file("lowerescape/keep", "overwritten?")
        .build(), lower);
    assertThat(Files.readString(outside.resolve("keep"))).isEqualTo("original");
    assertThat(outside.resolve("new")).doesNotExist();
    // Each write landed at the link target as seen from inside the root.
    Path inside = upper.resolve(outside.toString().substring(1));
    assertThat(Files.readString(inside.resolve("keep"))).isEqualTo("overwritten?");
    assertThat(Files.readString(inside.resolve("new"))).isEqualTo("x");
  }

  @Test
  void hostileLinksAndAttributesAreRejected() throws Exception {
    Path outside = Files.createDirectories(work.resolve("outside"));
    Files.writeString(outside.resolve("target"), "t");
    assertThatThrownBy(() -> apply(new Tars().hardlink("h", "../../../../" + outside + "/target").build()))
        .isInstanceOf(SnapshotException.InvalidLayer.class)
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> apply(new Tars().symlink("loop", "loop").file("loop/x", "1").build()))
        .isInstanceOf(SnapshotException.InvalidLayer.class)
        .hasMessageContaining("too many symbolic links");
    assertThatThrownBy(() -> apply(
            new Tars().file("f", "1", 0644, 0, 0, Map.of("trusted.overlay.redirect", "/x")).build()))
        .isInstanceOf(SnapshotException.InvalidLayer.class)
        .hasMessageContaining("trusted.overlay.redirect");
    assertThatThrownBy(() -> apply(new Tars().file("plain", "1").file("plain/below", "2").build()))
        .isInstanceOf(SnapshotException.InvalidLayer.class)
        .hasMessageContaining("is not a directory");
    assertThat(Files.readString(outside.resolve("target"))).isEqualTo("t");
  }

  @Test
  void truncatedLayerIsInvalid() throws Exception {
    byte[] tar = new Tars().file("big", "y".repeat(10_000)).build();
    byte[] cut = Arrays.copyOf(tar, 3000);
    assertThatThrownBy(() -> apply(cut)).isInstanceOf(SnapshotException.InvalidLayer.class);
    assertThat(new String(tar, 257, 5, StandardCharsets.US_ASCII)).isEqualTo("ustar");
  }
}
