package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.it.harness.BerthHome;
import io.berth.it.harness.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * bin/berthd's launcher uses the AOT cache that {@code make build} trained only while the jars are
 * the ones it was trained with: the JVM itself would run the cached classes of a replaced jar.
 */
class LauncherAotCacheTest {
  private Path top;

  /** A copy of the built launcher, jars and cache (hard links: same bytes, same mtimes). */
  @BeforeEach
  void layOutACopyOfTheBuild() throws IOException {
    Path home = BerthHome.path();
    Path built = home.resolve("cri-server/target");
    assertThat(built.resolve("berthd.aot")).as("make build trains the AOT cache").exists();
    top = Files.createTempDirectory(Files.createDirectories(home.resolve("target")), "launcher-");
    Path target = Files.createDirectories(top.resolve("cri-server/target/lib"));
    Files.createDirectories(top.resolve("bin"));
    Files.copy(home.resolve("bin/berthd"), top.resolve("bin/berthd"), StandardCopyOption.COPY_ATTRIBUTES);
    for (String file : List.of("cri-server.jar", "berthd.aot", "berthd.aot.jars")) {
      Files.createLink(target.getParent().resolve(file), built.resolve(file));
    }
    try (Stream<Path> jars = Files.list(built.resolve("lib"))) {
      for (Path jar : jars.toList()) {
        Files.createLink(target.resolve(jar.getFileName()), jar);
      }
    }
  }

  @AfterEach
  void removeTheCopy() throws IOException {
    try (Stream<Path> files = Files.walk(top)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(file);
      }
    }
  }

  @Test
  void usesTheCacheWithItsOwnJarsAndStartsWithoutItOnceAJarChanged() throws IOException {
    Commands.Result trained = version();
    assertThat(trained.exitCode()).isZero();
    assertThat(trained.stdout()).contains("Opened AOT cache").contains("berthd ");
    assertThat(trained.stderr()).doesNotContain("jars changed");

    // A rebuilt jar: a new file in place of the trained one (the original stays untouched).
    Path jar = top.resolve("cri-server/target/cri-server.jar");
    Path rebuilt = top.resolve("cri-server/target/rebuilt.jar");
    Files.copy(jar, rebuilt);
    Files.setLastModifiedTime(rebuilt, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 60_000));
    Files.move(rebuilt, jar, StandardCopyOption.REPLACE_EXISTING);

    Commands.Result changed = version();
    assertThat(changed.exitCode()).isZero();
    assertThat(changed.stdout()).doesNotContain("Opened AOT cache").contains("berthd ");
    assertThat(changed.stderr()).contains("the jars changed since " + top.resolve("cri-server/target/berthd.aot"))
        .contains("starting without it");
  }

  @Test
  void aCacheWithoutItsJarListIsNotUsed() throws IOException {
    Files.delete(top.resolve("cri-server/target/berthd.aot.jars"));
    Commands.Result result = version();
    assertThat(result.exitCode()).isZero();
    assertThat(result.stdout()).doesNotContain("Opened AOT cache");
    assertThat(result.stderr()).contains("starting without it");
  }

  /** {@code berthd --version}, with the JVM saying whether it opened an AOT cache. */
  private Commands.Result version() {
    return Commands.run(
        List.of("env", "BERTH_JAVA_OPTS=-Xlog:aot=info", top.resolve("bin/berthd").toString(), "--version"));
  }
}
