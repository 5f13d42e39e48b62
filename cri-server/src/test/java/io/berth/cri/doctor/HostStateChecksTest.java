package io.berth.cri.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** disk-root/disk-state, clock and socket on scripted usage, clock and stat results. */
class HostStateChecksTest {
  private static final long GIB = 1024L * 1024 * 1024;

  @TempDir Path root;

  private static Host.Usage usage(long totalGib, double freeGib, long inodes, long freeInodes) {
    return new Host.Usage(totalGib * GIB, (long) (freeGib * GIB), inodes, freeInodes);
  }

  @Test
  void plentyOfSpacePassesAndAMissingDirIsMeasuredAtItsParent() {
    FakeHost host = FakeHost.in(root).dir("/var/lib").usage("/var/lib", usage(100, 40, 1_000_000, 900_000));
    Result result = new DiskCheck(host, "root", "root", "/var/lib/berth").run();
    assertThat(result).isEqualTo(Result.pass("disk-root", "root /var/lib/berth (not there yet; measured at /var/lib):"
        + " 40.0 GiB of 100.0 GiB free (40%), 900k of 1000k inodes free (90%)"));
  }

  @Test
  void belowTenPercentWarnsButASmallMostlyFreeTmpfsPasses() {
    FakeHost host = FakeHost.in(root).dir("/var/lib/berth").usage("/var/lib/berth", usage(100, 8, 1000, 900));
    Result result = new DiskCheck(host, "root", "root", "/var/lib/berth").run();
    assertThat(result.status()).isEqualTo(Status.WARN);
    assertThat(result.detail()).endsWith("the kubelet evicts pods below 10% free");
    assertThat(result.fix()).startsWith("free space on the filesystem of /var/lib/berth");
    long mib = 1024L * 1024;
    host.dir("/run/berth").usage("/run/berth", new Host.Usage(391 * mib, 387 * mib, 100_000, 99_000));
    assertThat(new DiskCheck(host, "state", "state", "/run/berth").run().status()).isEqualTo(Status.PASS);
  }

  @Test
  void fewInodesWarnAndNoneFail() {
    FakeHost host = FakeHost.in(root).dir("/run/berth").usage("/run/berth", usage(100, 50, 10_000, 500));
    assertThat(new DiskCheck(host, "state", "state", "/run/berth").run().status()).isEqualTo(Status.WARN);
    host.usage("/run/berth", usage(100, 50, 10_000, 0));
    assertThat(new DiskCheck(host, "state", "state", "/run/berth").run().status()).isEqualTo(Status.FAIL);
  }

  @Test
  void aFullDiskFailsAndUnreportedInodesAreJudgedOnSpace() {
    FakeHost host = FakeHost.in(root).dir("/srv").usage("/srv", usage(100, 0.05, 0, 0));
    Result full = new DiskCheck(host, "root", "root", "/srv").run();
    assertThat(full.status()).isEqualTo(Status.FAIL);
    assertThat(full.detail()).contains("inodes not reported", "pulls and new containers fail");
    host.usage("/srv", usage(100, 50, 0, 0));
    assertThat(new DiskCheck(host, "root", "root", "/srv").run().status()).isEqualTo(Status.PASS);
  }

  @Test
  void libcryptoIsFoundInAnyLibraryDirectoryAndItsAbsenceWarns() {
    Result missing = new LibcryptoCheck(FakeHost.in(root)).run();
    assertThat(missing.status()).isEqualTo(Status.WARN);
    assertThat(missing.detail()).contains("no libcrypto.so.3", "JDK's SHA-256");
    assertThat(missing.fix()).startsWith("apt-get install libssl3");
    FakeHost host = FakeHost.in(root).file("/usr/lib64/libcrypto.so.3", "\u007fELF");
    assertThat(new LibcryptoCheck(host).run())
        .isEqualTo(Result.pass("libcrypto", "/usr/lib64/libcrypto.so.3: pulled content is hashed by OpenSSL"));
  }

  @Test
  void aClockBefore2024Fails() {
    FakeHost host = FakeHost.in(root).file("/proc/uptime", "4595.25 4046.72\n");
    assertThat(new ClockCheck(host).run())
        .isEqualTo(Result.pass("clock", "2026-03-01T12:00:00Z, up 1 h 16 min"));
    host.now(Instant.parse("1970-01-01T00:00:42Z"));
    Result epoch = new ClockCheck(host).run();
    assertThat(epoch.status()).isEqualTo(Status.FAIL);
    assertThat(epoch.detail()).startsWith("the clock reads 1970-01-01T00:00:42Z");
  }

  @Test
  void anUnreadableUptimeWarns() {
    assertThat(new ClockCheck(FakeHost.in(root)).run().status()).isEqualTo(Status.WARN);
  }

  @Test
  void aRootOwnedSocketWithMode0660Passes() {
    FakeHost host = FakeHost.in(root).stat("/run/berth/berth.sock",
        new Host.FileInfo(Host.FileInfo.Type.SOCKET, 0, 0, 0660));
    assertThat(new SocketCheck(host, "/run/berth/berth.sock").run())
        .isEqualTo(Result.pass("socket", "/run/berth/berth.sock (owner root, group 0, mode 0660)"));
    host.stat("/run/berth/berth.sock", new Host.FileInfo(Host.FileInfo.Type.SOCKET, 0, 0, 0600));
    assertThat(new SocketCheck(host, "/run/berth/berth.sock").run().status()).isEqualTo(Status.PASS);
  }

  @Test
  void aSocketOpenToOthersOrOwnedByAUserFails() {
    FakeHost host = FakeHost.in(root).stat("/run/berth/berth.sock",
        new Host.FileInfo(Host.FileInfo.Type.SOCKET, 0, 0, 0666));
    Result open = new SocketCheck(host, "/run/berth/berth.sock").run();
    assertThat(open.status()).isEqualTo(Status.FAIL);
    assertThat(open.detail()).contains("mode 0666", "every local user");
    assertThat(open.fix()).isEqualTo("chmod 0660 /run/berth/berth.sock");
    host.stat("/run/berth/berth.sock", new Host.FileInfo(Host.FileInfo.Type.SOCKET, 1000, 1000, 0660));
    assertThat(new SocketCheck(host, "/run/berth/berth.sock").run().detail()).contains("owned by uid 1000");
  }

  @Test
  void noSocketOrAFileInItsPlaceFails() {
    Result none = new SocketCheck(FakeHost.in(root), "/run/berth/berth.sock").run();
    assertThat(none.status()).isEqualTo(Status.FAIL);
    assertThat(none.detail()).contains("berthd is not running");
    FakeHost host = FakeHost.in(root).stat("/run/berth/berth.sock",
        new Host.FileInfo(Host.FileInfo.Type.REGULAR, 0, 0, 0644));
    assertThat(new SocketCheck(host, "/run/berth/berth.sock").run().detail()).contains("is a regular, not a socket");
  }
}
