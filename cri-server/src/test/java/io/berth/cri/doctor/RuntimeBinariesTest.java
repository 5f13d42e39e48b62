package io.berth.cri.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** runtime handlers (runc, crun), conmon and catatonit against fake binaries and package files. */
class RuntimeBinariesTest {
  static final String DEBIAN_RUNC = """
      runc version 1.1.5+ds1
      commit: 1.1.5+ds1-1+deb12u1
      spec: 1.0.2-dev
      go: go1.19.8
      libseccomp: 2.5.4
      """;
  static final String CRUN_181 = """
      crun version 1.8.1
      commit: f8a096be060b22ccd3d5f3ebe44108517fbf6c30
      rundir: /run/crun
      spec: 1.0.0
      +SYSTEMD +SELINUX +APPARMOR +CAP +SECCOMP +EBPF +YAJL
      """;

  @TempDir Path root;

  private CgroupLayout unified() {
    return CgroupLayout.read(Layouts.unified(FakeHost.in(root)));
  }

  private CgroupLayout hybrid() {
    return CgroupLayout.read(Layouts.hybrid(FakeHost.in(root)));
  }

  @Test
  void aCurrentRuncPasses() {
    FakeHost host = FakeHost.in(root).binary("/usr/sbin/runc", "runc version 1.3.3\ncommit: v1.3.3-0-gd842d771\n");
    assertThat(new RuntimeHandlerCheck(host, "runc", "/usr/sbin/runc", true, unified()).run())
        .isEqualTo(Result.pass("runtime-runc", "runc 1.3.3 at /usr/sbin/runc"));
  }

  @Test
  void runcBeforeLeakyVesselsWarnsWithTheUpgrade() {
    FakeHost host = FakeHost.in(root).binary("/usr/sbin/runc", "runc version 1.1.11\ncommit: v1.1.11-0-g4bccb38c\n");
    Result result = new RuntimeHandlerCheck(host, "runc", "/usr/sbin/runc", true, unified()).run();
    assertThat(result.status()).isEqualTo(Status.WARN);
    assertThat(result.detail()).startsWith("runc 1.1.11 at /usr/sbin/runc is vulnerable to CVE-2024-21626 "
        + "(\"Leaky Vessels\"");
    assertThat(result.detail()).contains("CVE-2025-31133");
    assertThat(result.fix()).isEqualTo("upgrade runc to 1.2.8, 1.3.3 or later");
  }

  @Test
  void runcBetweenTheFixesWarnsOfTheNewerAdvisoryOnly() {
    FakeHost host = FakeHost.in(root).binary("/usr/sbin/runc", "runc version 1.3.1\n");
    Result result = new RuntimeHandlerCheck(host, "runc", "/usr/sbin/runc", true, unified()).run();
    assertThat(result.detail()).doesNotContain("CVE-2024-21626").contains("CVE-2025-52881");
    FakeHost fixed128 = FakeHost.in(root).binary("/usr/sbin/runc", "runc version 1.2.8\n");
    assertThat(new RuntimeHandlerCheck(fixed128, "runc", "/usr/sbin/runc", true, unified()).run().status())
        .isEqualTo(Status.PASS);
  }

  @Test
  void debian12sRuncCountsItsBackportedFixAndWarnsOfTheRest() {
    FakeHost host = FakeHost.in(root).binary("/usr/sbin/runc", DEBIAN_RUNC)
        .file("/var/lib/dpkg/info/runc.list", "/.\n/usr\n/usr/sbin\n/usr/sbin/runc\n/usr/bin/runc\n")
        .bytes("/usr/share/doc/runc/changelog.Debian.gz", gzip("""
            runc (1.1.5+ds1-1+deb12u1) bookworm-security; urgency=high

              * Team upload.
              * CVE-2024-21626: several container breakouts due to internally leaked fds

             -- Shengjing Zhu <zhsj@debian.org>  Fri, 02 Feb 2024 21:53:05 +0800

            runc (1.1.5+ds1-1) unstable; urgency=medium

              * New upstream version 1.1.5+ds1
                + CVE-2023-25809: rootless: `/sys/fs/cgroup` is writable when cgroupns isn't unshared
            """));
    Result result = new RuntimeHandlerCheck(host, "runc", "/usr/sbin/runc", true, unified()).run();
    assertThat(result.status()).isEqualTo(Status.WARN);
    assertThat(result.detail()).startsWith("runc 1.1.5+ds1 at /usr/sbin/runc (Debian 1.1.5+ds1-1+deb12u1, which "
        + "backports the fix of CVE-2024-21626) is vulnerable to CVE-2025-31133, CVE-2025-52565, CVE-2025-52881");
    assertThat(result.fix()).isEqualTo("upgrade runc to 1.2.8, 1.3.3 or later");
  }

  @Test
  void aChangelogOfAnotherReleaseOrAnUnownedBinaryIsNotTrusted() {
    FakeHost otherRelease = FakeHost.in(root).binary("/usr/sbin/runc", "runc version 1.1.4\n")
        .file("/var/lib/dpkg/info/runc.list", "/usr/sbin/runc\n")
        .bytes("/usr/share/doc/runc/changelog.Debian.gz",
            gzip("runc (1.1.5+ds1-1+deb12u1) bookworm-security; urgency=high\n  * CVE-2024-21626\n"));
    assertThat(new RuntimeHandlerCheck(otherRelease, "runc", "/usr/sbin/runc", true, unified()).run().detail())
        .contains("CVE-2024-21626").doesNotContain("Debian");
    FakeHost notOwned = FakeHost.in(root).binary("/usr/local/sbin/runc", DEBIAN_RUNC)
        .file("/var/lib/dpkg/info/runc.list", "/usr/sbin/runc\n")
        .bytes("/usr/share/doc/runc/changelog.Debian.gz",
            gzip("runc (1.1.5+ds1-1+deb12u1) bookworm-security; urgency=high\n  * CVE-2024-21626\n"));
    assertThat(new RuntimeHandlerCheck(notOwned, "runc", "/usr/local/sbin/runc", true, unified()).run().detail())
        .contains("vulnerable to CVE-2024-21626");
  }

  @Test
  void crunOnThisMachinesHybridLayoutIsExplained() {
    FakeHost host = FakeHost.in(root).binary("/usr/bin/crun", CRUN_181);
    Result result = new RuntimeHandlerCheck(host, "crun", "/usr/bin/crun", false, hybrid()).run();
    assertThat(result.status()).isEqualTo(Status.WARN);
    assertThat(result.detail()).isEqualTo("crun 1.8.1 at /usr/bin/crun refuses this hybrid cgroup layout (\"cgroups "
        + "in hybrid mode not supported, drop all controllers from cgroupv2\"): the cgroup2 tree at "
        + "/sys/fs/cgroup/unified still has hugetlb in cgroup.controllers, which no v1 hierarchy binds; pods of "
        + "handler 'crun' cannot start");
    assertThat(result.fix()).isEqualTo("bind hugetlb in a v1 hierarchy (mount -t cgroup -o hugetlb cgroup "
        + "/sys/fs/cgroup/hugetlb) or boot pure cgroup v2 (systemd.unified_cgroup_hierarchy=1)");
  }

  @Test
  void crunAsTheDefaultHandlerOnTheHybridLayoutFails() {
    FakeHost host = FakeHost.in(root).binary("/usr/bin/crun", CRUN_181);
    assertThat(new RuntimeHandlerCheck(host, "crun", "/usr/bin/crun", true, hybrid()).run().status())
        .isEqualTo(Status.FAIL);
  }

  @Test
  void crunPassesOnV2AndOnAHybridLayoutWithEveryControllerInV1() {
    FakeHost host = FakeHost.in(root).binary("/usr/bin/crun", CRUN_181);
    assertThat(new RuntimeHandlerCheck(host, "crun", "/usr/bin/crun", false, unified()).run())
        .isEqualTo(Result.pass("runtime-crun", "crun 1.8.1 at /usr/bin/crun"));
    CgroupLayout allInV1 = CgroupLayout.read(Layouts.hybridWithHugetlbInV1(FakeHost.in(root)));
    assertThat(new RuntimeHandlerCheck(host, "crun", "/usr/bin/crun", false, allInV1).run().status())
        .isEqualTo(Status.PASS);
  }

  @Test
  void anOldCrunOnTheHybridLayoutGetsBothFindings() {
    FakeHost host = FakeHost.in(root).binary("/usr/bin/crun", "crun version 1.4.3\n");
    Result result = new RuntimeHandlerCheck(host, "crun", "/usr/bin/crun", false, hybrid()).run();
    assertThat(result.detail()).contains("refuses this hybrid cgroup layout", "CVE-2022-27650");
    assertThat(result.fix()).contains("bind hugetlb", "upgrade crun to 1.4.4 or later");
  }

  @Test
  void aMissingDefaultHandlerFailsAndPointsAtTheOneOnPath() {
    FakeHost host = FakeHost.in(root).binary("/usr/local/bin/runc", "runc version 1.3.3\n");
    Result result = new RuntimeHandlerCheck(host, "runc", "/usr/sbin/runc", true, unified()).run();
    assertThat(result.status()).isEqualTo(Status.FAIL);
    assertThat(result.detail()).isEqualTo("runtime.handlers.runc = /usr/sbin/runc is missing (the default handler: "
        + "RuntimeReady is false)");
    assertThat(result.fix()).isEqualTo("set runtime.handlers.runc = \"/usr/local/bin/runc\" (it is on PATH there)");
  }

  @Test
  void aMissingOtherHandlerOnlyWarns() {
    Result result = new RuntimeHandlerCheck(FakeHost.in(root), "crun", "/usr/bin/crun", false, unified()).run();
    assertThat(result.status()).isEqualTo(Status.WARN);
    assertThat(result.fix()).isEqualTo("install crun (apt-get install crun), or drop runtime.handlers.crun");
  }

  @Test
  void aBinaryThatPrintsNoVersionIsReported() {
    FakeHost host = FakeHost.in(root).binary("/usr/sbin/runc", "Segmentation fault\n");
    assertThat(new RuntimeHandlerCheck(host, "runc", "/usr/sbin/runc", true, unified()).run().detail())
        .contains("printed no version");
  }

  @Test
  void conmonPresentPassesMissingFailsOldWarns() {
    FakeHost host = FakeHost.in(root).binary("/usr/bin/conmon", "conmon version 2.1.6\ncommit: unknown\n");
    assertThat(new ConmonCheck(host, "/usr/bin/conmon").run())
        .isEqualTo(Result.pass("conmon", "conmon 2.1.6 at /usr/bin/conmon"));
    Result missing = new ConmonCheck(FakeHost.in(root), "/usr/bin/conmon").run();
    assertThat(missing.status()).isEqualTo(Status.FAIL);
    assertThat(missing.fix()).isEqualTo("install conmon (apt-get install conmon)");
    FakeHost old = FakeHost.in(root).binary("/usr/bin/conmon", "conmon version 0.3.0\n");
    assertThat(new ConmonCheck(old, "/usr/bin/conmon").run().status()).isEqualTo(Status.WARN);
  }

  @Test
  void catatonitMustBeStatic() {
    FakeHost host = FakeHost.in(root).binary("/usr/bin/catatonit", "tini version 0.1.7_catatonit\n")
        .bytes("/usr/bin/catatonit", elf(null));
    assertThat(new CatatonitCheck(host, "/usr/bin/catatonit", true).run())
        .isEqualTo(Result.pass("catatonit", "catatonit 0.1.7 at /usr/bin/catatonit, static"));
    host.bytes("/usr/bin/catatonit", elf("/lib64/ld-linux-x86-64.so.2"));
    Result dynamic = new CatatonitCheck(host, "/usr/bin/catatonit", true).run();
    assertThat(dynamic.status()).isEqualTo(Status.WARN);
    assertThat(dynamic.detail()).contains("dynamically linked (needs /lib64/ld-linux-x86-64.so.2)",
        "pods sharing a PID namespace");
    assertThat(new CatatonitCheck(host, "/usr/bin/catatonit", false).run().status()).isEqualTo(Status.FAIL);
  }

  @Test
  void aMissingCatatonitFailsOnlyWhenEveryPodNeedsIt() {
    assertThat(new CatatonitCheck(FakeHost.in(root), "/usr/bin/catatonit", true).run().status())
        .isEqualTo(Status.WARN);
    assertThat(new CatatonitCheck(FakeHost.in(root), "/usr/bin/catatonit", false).run().status())
        .isEqualTo(Status.FAIL);
  }

  /** A minimal little-endian ELF64 file: one PT_LOAD header, and a PT_INTERP naming {@code interpreter} if given. */
  static byte[] elf(String interpreter) {
    int phnum = interpreter == null ? 1 : 2;
    int interpOffset = 64 + 56 * phnum;
    byte[] name = interpreter == null ? new byte[0] : (interpreter + "\0").getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(interpOffset + name.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
    b.putShort(0x10, (short) 2).putShort(0x12, (short) 62).putLong(0x20, 64)
        .putShort(0x36, (short) 56).putShort(0x38, (short) phnum);
    b.putInt(64, 1); // PT_LOAD
    if (interpreter != null) {
      b.putInt(64 + 56, 3).putLong(64 + 56 + 8, interpOffset).putLong(64 + 56 + 32, name.length);
      b.put(interpOffset, name);
    }
    return b.array();
  }

  static byte[] gzip(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
