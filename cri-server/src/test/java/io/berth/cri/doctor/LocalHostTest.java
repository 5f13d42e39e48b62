package io.berth.cri.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real host under a prefix: paths, PATH lookup, --version, stat and usage; /proc/sys read whole. */
class LocalHostTest {
  @TempDir Path root;

  private LocalHost host() {
    return new LocalHost(root, List.of("/opt/bin", "/usr/bin"),
        Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC));
  }

  @Test
  void pathsLieUnderThePrefixAndWhichReturnsHostPaths() throws Exception {
    Path tool = root.resolve("usr/bin/runc");
    Files.createDirectories(tool.getParent());
    Files.writeString(tool, "#!/bin/sh\necho 'runc version 1.3.3'\necho 'commit: v1.3.3' >&2\n");
    Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
    LocalHost host = host();
    assertThat(host.path("/usr/bin/runc")).isEqualTo(tool);
    assertThat(host.which("runc")).contains("/usr/bin/runc");
    assertThat(host.which("crun")).isEmpty();
    assertThat(host.versionOutput("/usr/bin/runc")).contains("runc version 1.3.3\ncommit: v1.3.3\n");
    assertThat(host.versionOutput("/usr/bin/absent")).isEmpty();
    assertThat(host.now()).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
  }

  @Test
  void statGivesTypeOwnerAndModeAndUsageMeasuresTheFilesystem() throws Exception {
    Path file = Files.writeString(root.resolve("f"), "x");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    Host.FileInfo info = host().stat("/f").orElseThrow();
    assertThat(info.type()).isEqualTo(Host.FileInfo.Type.REGULAR);
    assertThat(info.permissions()).isEqualTo(0640);
    assertThat(host().stat("/absent")).isEmpty();
    Host.Usage usage = host().usage("/").orElseThrow();
    assertThat(usage.totalBytes()).isPositive();
    assertThat(usage.availableBytes()).isBetween(0L, usage.totalBytes());
  }

  @Test
  void procSysFilesAreReadWhole() throws Exception {
    String expected;
    try (InputStream in = new FileInputStream("/proc/sys/kernel/pid_max")) {
      expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(LocalHost.local().read("/proc/sys/kernel/pid_max")).contains(expected);
    assertThat(expected.strip()).hasSizeGreaterThan(1);
  }
}
