package io.berth.snapshot.apply;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.snapshot.LayerDirs;
import io.berth.snapshot.SnapshotException;
import io.berth.snapshot.Tars;
import io.berth.sys.LinuxSyscalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;
import net.jqwik.api.statistics.Statistics;

/**
 * Generated hostile layers (traversal names, absolute names, symlinks and hard links aimed at a
 * canary tree outside the snapshot, from this layer and from a lower one, whiteouts, opaque
 * markers, collisions) applied on the real filesystem: whatever is accepted or rejected, the
 * canary tree outside the snapshot must come out unchanged. Root: owners, devices, trusted.* xattrs.
 */
@Tag("root")
class HostileLayerProperties {
  private static final String MODE = "application/vnd.oci.image.layer.v1.tar";
  private final LinuxSyscalls sys = new LinuxSyscalls();

  /** One generated tar entry. */
  record Op(int kind, String name, String target) {}

  @Provide
  Arbitrary<List<Op>> layers() {
    Arbitrary<String> component =
        Arbitraries.of("a", "b", "..", ".", "etc", "canary", "x", ".wh.a", ".wh..wh..opq", "");
    Arbitrary<String> name = component.list().ofMinSize(1).ofMaxSize(6)
        .map(parts -> String.join("/", parts))
        // A trailing slash would make the tar writer itself turn any entry into a directory.
        .map(n -> n.isEmpty() || n.endsWith("/") ? n + "z" : n)
        .flatMap(n -> Arbitraries.of(n, "/" + n, "../../" + n, "./" + n));
    Arbitrary<String> target = Arbitraries.of(
        "CANARY", "CANARY/file", "CANARY/dir", "../../../../../../CANARY", "/", "..", "../..", "a", "a/b", "/etc",
        "b/../../..", "x");
    Arbitrary<Op> op = Combinators.combine(Arbitraries.integers().between(0, 6), name, target).as(Op::new);
    return op.list().ofMinSize(1).ofMaxSize(25);
  }

  @Property(tries = 300)
  void canaryOutsideTheSnapshotNeverChanges(@ForAll("layers") List<Op> ops) throws Exception {
    // Not vacuous: a good share of the generated layers must really be applied.
    Statistics.coverage(coverage -> coverage.check("applied").percentage(p -> p > 25));
    Path work = Files.createTempDirectory("berth-hostile");
    try {
      Path canary = Files.createDirectories(work.resolve("canary"));
      Files.writeString(canary.resolve("file"), "canary");
      Files.createDirectories(canary.resolve("dir"));
      Files.writeString(canary.resolve("dir/inner"), "inner");
      Path lower = Files.createDirectories(work.resolve("layers/1/fs"));
      Path upper = Files.createDirectories(work.resolve("layers/2/fs"));
      Files.createSymbolicLink(lower.resolve("canary"), canary);
      Files.createSymbolicLink(lower.resolve("x"), Path.of("../../../../../../" + canary));
      Map<String, String> before = snapshot(canary);

      Tars tar = new Tars();
      for (Op op : ops) {
        String target = op.target().replace("CANARY", canary.toString());
        switch (op.kind()) {
          case 0 -> tar.dir(op.name());
          case 1 -> tar.file(op.name(), "pwned");
          case 2 -> tar.symlink(op.name(), target);
          case 3 -> tar.hardlink(op.name(), target);
          case 4 -> tar.fifo(op.name());
          case 5 -> tar.file(op.name(), "pwned", 04777, 0, 0, Map.of("user.pwned", "1"));
          default -> tar.dir(op.name(), 0777, 1234, 1234);
        }
      }
      String outcome = "applied";
      try {
        new LayerApplier(sys).apply(new ByteArrayInputStream(tar.build()), MODE,
            new LayerDirs(upper, List.of(lower)), null);
      } catch (SnapshotException.InvalidLayer rejected) {
        outcome = "rejected"; // refusing a hostile layer is fine; touching the host is not
      }
      Statistics.collect(outcome);
      assertThat(snapshot(canary)).isEqualTo(before);
      assertThat(Files.list(work).map(p -> p.getFileName().toString()).toList())
          .containsExactlyInAnyOrder("canary", "layers");
    } finally {
      deleteTree(work);
    }
  }

  /** Every path under {@code dir} with its type, mode, owner, size, content and mtime. */
  private static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
        out.put(dir.relativize(d) + "/", describe(d));
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
        out.put(dir.relativize(f).toString(), describe(f)
            + (attrs.isRegularFile() ? ":" + Files.readString(f) : ""));
        return FileVisitResult.CONTINUE;
      }
    });
    return out;
  }

  private static String describe(Path p) throws IOException {
    Map<String, Object> a =
        Files.readAttributes(p, "unix:mode,uid,gid,size,lastModifiedTime,nlink", LinkOption.NOFOLLOW_LINKS);
    return a.get("mode") + "/" + a.get("uid") + "/" + a.get("gid") + "/" + a.get("size") + "/"
        + a.get("lastModifiedTime") + "/" + a.get("nlink");
  }

  private static void deleteTree(Path dir) throws IOException {
    List<Path> all = new ArrayList<>();
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
        all.add(f);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) {
        all.add(d);
        return FileVisitResult.CONTINUE;
      }
    });
    for (Path p : all) {
      Files.deleteIfExists(p);
    }
  }
}
