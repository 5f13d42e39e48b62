package io.berth.cri.doctor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A machine laid out in a temp dir: files written under the root prefix, binaries with scripted
 * {@code --version} output, and stat results, filesystem usage and a clock set by the test (a
 * socket owned by root cannot be made without root).
 */
final class FakeHost implements Host {
  private final Path root;
  private final List<String> searchPath = new ArrayList<>(List.of("/usr/local/bin", "/usr/bin", "/usr/sbin"));
  private final Map<String, String> versions = new HashMap<>();
  private final Map<String, FileInfo> stats = new HashMap<>();
  private final Map<String, Usage> usages = new HashMap<>();
  private Instant now = Instant.parse("2026-03-01T12:00:00Z");

  FakeHost(Path root) {
    this.root = root;
  }

  /** A fresh machine in its own directory under {@code tempDir}, so that one test can lay out several. */
  static FakeHost in(Path tempDir) {
    try {
      return new FakeHost(Files.createTempDirectory(tempDir, "host"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes {@code text} at host path {@code absolute}. */
  FakeHost file(String absolute, String text) {
    return bytes(absolute, text.getBytes(StandardCharsets.UTF_8));
  }

  FakeHost bytes(String absolute, byte[] content) {
    try {
      Path p = path(absolute);
      Files.createDirectories(p.getParent());
      Files.write(p, content);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  FakeHost dir(String absolute) {
    try {
      Files.createDirectories(path(absolute));
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An executable at {@code absolute} whose {@code --version} prints {@code versionOutput}. */
  FakeHost binary(String absolute, String versionOutput) {
    file(absolute, "#!/bin/sh\n");
    try {
      Files.setPosixFilePermissions(path(absolute), PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    versions.put(absolute, versionOutput);
    return this;
  }

  FakeHost stat(String absolute, FileInfo info) {
    stats.put(absolute, info);
    return this;
  }

  FakeHost usage(String absolute, Usage usage) {
    usages.put(absolute, usage);
    return this;
  }

  FakeHost now(Instant instant) {
    now = instant;
    return this;
  }

  @Override
  public Path path(String absolute) {
    return root.resolve(absolute.substring(1));
  }

  @Override
  public Optional<String> which(String command) {
    return searchPath.stream().map(dir -> dir + "/" + command).filter(this::isExecutableFile).findFirst();
  }

  @Override
  public Optional<String> versionOutput(String binary) {
    return Optional.ofNullable(versions.get(binary));
  }

  @Override
  public Optional<FileInfo> stat(String absolute) {
    return Optional.ofNullable(stats.get(absolute));
  }

  @Override
  public Optional<Usage> usage(String absolute) {
    return Optional.ofNullable(usages.get(absolute));
  }

  @Override
  public Instant now() {
    return now;
  }
}
