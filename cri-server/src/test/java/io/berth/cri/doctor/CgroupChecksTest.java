package io.berth.cri.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.cri.config.BerthConfig.CgroupDriver;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cgroup layout as read from mountinfo, and the version, controller and driver checks on it. */
class CgroupChecksTest {
  @TempDir Path root;

  @Test
  void thisMachinesHybridLayoutStrandsHugetlbInTheCgroup2Tree() {
    CgroupLayout layout = CgroupLayout.read(Layouts.hybrid(FakeHost.in(root)));
    assertThat(layout.mode()).isEqualTo(CgroupLayout.Mode.HYBRID);
    assertThat(layout.unifiedMount()).isEqualTo("/sys/fs/cgroup/unified");
    assertThat(layout.v1Controllers())
        .containsExactly("blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids");
    assertThat(layout.hybridStrandedControllers()).containsExactly("hugetlb");
    assertThat(layout.has("memory")).isTrue();
    assertThat(layout.has("hugetlb")).isFalse();
  }

  @Test
  void modesOfTheOtherLayouts() {
    assertThat(CgroupLayout.read(Layouts.unified(FakeHost.in(root))).mode()).isEqualTo(CgroupLayout.Mode.UNIFIED);
    assertThat(CgroupLayout.read(Layouts.legacy(FakeHost.in(root))).mode()).isEqualTo(CgroupLayout.Mode.LEGACY);
    assertThat(CgroupLayout.read(FakeHost.in(root)).mode()).isEqualTo(CgroupLayout.Mode.NONE);
    CgroupLayout allInV1 = CgroupLayout.read(Layouts.hybridWithHugetlbInV1(FakeHost.in(root)));
    assertThat(allInV1.mode()).isEqualTo(CgroupLayout.Mode.HYBRID);
    assertThat(allInV1.hybridStrandedControllers()).isEmpty();
  }

  @Test
  void mountinfoFieldsAreUnescapedAndOptionalFieldsSkipped() {
    CgroupLayout.Mount mount = CgroupLayout.parseMountinfo(
        "41 30 0:38 / /sys/fs/cgroup/my\\040dir rw,relatime shared:12 master:3 - cgroup cgroup rw,hugetlb");
    assertThat(mount.point()).isEqualTo("/sys/fs/cgroup/my dir");
    assertThat(mount.type()).isEqualTo("cgroup");
    assertThat(mount.superOptions()).containsExactly("rw", "hugetlb");
    assertThat(CgroupLayout.parseMountinfo("garbage")).isNull();
  }

  @Test
  void cgroupV2Passes() {
    Result result = new CgroupVersionCheck(CgroupLayout.read(Layouts.unified(FakeHost.in(root)))).run();
    assertThat(result).isEqualTo(Result.pass("cgroup-version", "cgroup v2 (unified) at /sys/fs/cgroup"));
  }

  @Test
  void hybridAndLegacyWarnThatKubeletsRefuseV1() {
    Result hybrid = new CgroupVersionCheck(CgroupLayout.read(Layouts.hybrid(FakeHost.in(root)))).run();
    assertThat(hybrid.status()).isEqualTo(Status.WARN);
    assertThat(hybrid.detail()).contains("hybrid", "/sys/fs/cgroup/unified", "1.35");
    assertThat(hybrid.fix()).contains("systemd.unified_cgroup_hierarchy=1");
    Result legacy = new CgroupVersionCheck(CgroupLayout.read(Layouts.legacy(FakeHost.in(root)))).run();
    assertThat(legacy.status()).isEqualTo(Status.WARN);
    assertThat(legacy.detail()).contains("legacy");
    assertThat(new CgroupVersionCheck(CgroupLayout.read(FakeHost.in(root))).run().status()).isEqualTo(Status.FAIL);
  }

  @Test
  void controllersOnV2Pass() {
    Result result = new CgroupControllersCheck(CgroupLayout.read(Layouts.unified(FakeHost.in(root)))).run();
    assertThat(result.status()).isEqualTo(Status.PASS);
    assertThat(result.detail()).contains("cpu", "io", "memory", "hugetlb", "pids");
  }

  @Test
  void hugetlbOnlyInTheHybridCgroup2TreeWarnsWithTheBindFix() {
    Result result = new CgroupControllersCheck(CgroupLayout.read(Layouts.hybrid(FakeHost.in(root)))).run();
    assertThat(result.status()).isEqualTo(Status.WARN);
    assertThat(result.detail()).startsWith("hugetlb only in the cgroup2 tree /sys/fs/cgroup/unified");
    assertThat(result.fix()).isEqualTo("bind hugetlb in a v1 hierarchy (mount -t cgroup -o hugetlb cgroup "
        + "/sys/fs/cgroup/hugetlb) or boot pure cgroup v2");
    assertThat(new CgroupControllersCheck(CgroupLayout.read(Layouts.hybridWithHugetlbInV1(FakeHost.in(root))))
        .run().status()).isEqualTo(Status.PASS);
  }

  @Test
  void aMissingRequiredControllerFailsAndNamesTheKernelSwitch() {
    FakeHost host = FakeHost.in(root)
        .file("/proc/self/mountinfo", Layouts.UNIFIED_MOUNTINFO)
        .file("/proc/cgroups", "#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t0\t1\t0\ncpu\t0\t1\t1\n")
        .file("/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io pids\n");
    Result result = new CgroupControllersCheck(CgroupLayout.read(host)).run();
    assertThat(result.status()).isEqualTo(Status.FAIL);
    assertThat(result.detail()).startsWith("missing memory (disabled by the kernel: memory)");
    assertThat(result.fix()).isEqualTo("drop cgroup_disable=memory from the kernel command line");
  }

  @Test
  void theSystemdDriverWithoutSystemdAsPid1Fails() {
    FakeHost host = FakeHost.in(root).file("/proc/1/comm", "process_api\n");
    Result result = new CgroupDriverCheck(host, CgroupDriver.SYSTEMD).run();
    assertThat(result.status()).isEqualTo(Status.FAIL);
    assertThat(result.detail()).contains("PID 1 is 'process_api', not systemd");
    assertThat(result.fix()).contains("runtime.cgroup_driver = \"cgroupfs\"", "cgroupDriver: cgroupfs");
  }

  @Test
  void theSystemdDriverNeedsSystemdRunningNotJustInstalled() {
    FakeHost host = FakeHost.in(root).file("/proc/1/comm", "systemd\n");
    assertThat(new CgroupDriverCheck(host, CgroupDriver.SYSTEMD).run().detail())
        .contains("/run/systemd/system is missing");
    host.dir("/run/systemd/system");
    assertThat(new CgroupDriverCheck(host, CgroupDriver.SYSTEMD).run().status()).isEqualTo(Status.PASS);
  }

  @Test
  void cgroupfsBesideARunningSystemdWarnsAndWithoutOnePasses() {
    FakeHost systemd = FakeHost.in(root).file("/proc/1/comm", "systemd\n").dir("/run/systemd/system");
    Result twoManagers = new CgroupDriverCheck(systemd, CgroupDriver.CGROUPFS).run();
    assertThat(twoManagers.status()).isEqualTo(Status.WARN);
    assertThat(twoManagers.fix()).contains("runtime.cgroup_driver = \"systemd\"");
    FakeHost plain = FakeHost.in(root).file("/proc/1/comm", "tini\n");
    assertThat(new CgroupDriverCheck(plain, CgroupDriver.CGROUPFS).run().status()).isEqualTo(Status.PASS);
  }
}
