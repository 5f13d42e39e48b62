package io.berth.cri.stats;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both cgroup layouts, from fixture trees (this host is v1; v2 is what most nodes run now). */
class CgroupReaderTest {
  @TempDir Path root;

  private static void write(Path file, String text) throws Exception {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }

  @Test
  void readsV1Hierarchies() throws Exception {
    String cg = "berth/pod-1/c1";
    write(root.resolve("cpuacct").resolve(cg).resolve("cpuacct.usage"), "123456789\n");
    Path mem = root.resolve("memory").resolve(cg);
    write(mem.resolve("memory.usage_in_bytes"), "10485760\n");
    write(mem.resolve("memory.limit_in_bytes"), "67108864\n");
    write(mem.resolve("memory.memsw.usage_in_bytes"), "11534336\n");
    write(mem.resolve("memory.stat"), """
        cache 4096
        rss 8388608
        total_rss 8388608
        total_inactive_file 2097152
        total_pgfault 42
        total_pgmajfault 3
        """);
    write(root.resolve("pids").resolve(cg).resolve("cgroup.procs"), "10\n11\n");
    var reader = new CgroupReader(root);
    assertThat(reader.unified()).isFalse();
    var s = reader.read("/" + cg).orElseThrow();
    assertThat(s.cpuUsageNanos()).isEqualTo(123456789L);
    assertThat(s.memoryUsage()).isEqualTo(10485760L);
    assertThat(s.workingSet()).isEqualTo(10485760L - 2097152L);
    assertThat(s.rss()).isEqualTo(8388608L);
    assertThat(s.pageFaults()).isEqualTo(42);
    assertThat(s.majorPageFaults()).isEqualTo(3);
    assertThat(s.memoryLimit()).isEqualTo(67108864L);
    assertThat(s.swapUsage()).isEqualTo(1048576L);
    assertThat(s.processes()).isEqualTo(2);
    assertThat(reader.read("/berth/missing")).isEmpty();
  }

  @Test
  void unlimitedV1MemoryHasNoLimit() throws Exception {
    String cg = "c2";
    write(root.resolve("cpuacct").resolve(cg).resolve("cpuacct.usage"), "1\n");
    Path mem = root.resolve("memory").resolve(cg);
    write(mem.resolve("memory.usage_in_bytes"), "4096\n");
    write(mem.resolve("memory.limit_in_bytes"), "9223372036854771712\n");
    write(mem.resolve("memory.stat"), "total_inactive_file 0\n");
    var s = new CgroupReader(root).read(cg).orElseThrow();
    assertThat(s.memoryLimit()).isNull();
    assertThat(s.swapUsage()).isNull();
  }

  @Test
  void readsTheUnifiedV2Tree() throws Exception {
    write(root.resolve("cgroup.controllers"), "cpu memory pids\n");
    Path dir = root.resolve("kubepods.slice/pod.slice/cri-c3.scope");
    write(dir.resolve("cpu.stat"), "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
    write(dir.resolve("memory.current"), "20971520\n");
    write(dir.resolve("memory.max"), "max\n");
    write(dir.resolve("memory.swap.current"), "4096\n");
    write(dir.resolve("memory.stat"), "anon 16777216\nfile 4194304\ninactive_file 1048576\npgfault 7\npgmajfault 1\n");
    write(dir.resolve("cgroup.procs"), "42\n");
    var reader = new CgroupReader(root);
    assertThat(reader.unified()).isTrue();
    var s = reader.read("/kubepods.slice/pod.slice/cri-c3.scope").orElseThrow();
    assertThat(s.cpuUsageNanos()).isEqualTo(2_500_000L);
    assertThat(s.memoryUsage()).isEqualTo(20971520L);
    assertThat(s.workingSet()).isEqualTo(20971520L - 1048576L);
    assertThat(s.rss()).isEqualTo(16777216L);
    assertThat(s.memoryLimit()).isNull();
    assertThat(s.swapUsage()).isEqualTo(4096L);
    assertThat(s.pageFaults()).isEqualTo(7);
    assertThat(s.processes()).isEqualTo(1);
  }

  @Test
  void systemdCgroupsPathsBecomeSliceTrees() {
    assertThat(CgroupReader.path("/berth/pod-1/c1")).isEqualTo("/berth/pod-1/c1");
    assertThat(CgroupReader.path("kubepods-besteffort-pod12.slice:berth:abc"))
        .isEqualTo("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice/berth-abc.scope");
    assertThat(CgroupReader.path("system.slice:berth:abc")).isEqualTo("/system.slice/berth-abc.scope");
  }

  @Test
  void cpuRateComesFromTheTwoLatestSamples() {
    var rates = new CpuRates();
    assertThat(rates.nanoCores("c")).isNull();
    rates.record("c", 0, 0);
    assertThat(rates.nanoCores("c")).isNull();
    rates.record("c", 2_000_000_000L, 1_000_000_000L); // 1 s of CPU in 2 s: half a core
    assertThat(rates.nanoCores("c")).isEqualTo(500_000_000L);
    rates.retain(Set.of());
    assertThat(rates.nanoCores("c")).isNull();
  }

  @Test
  void readsV2IoAndOomCountersSummedOverDevices() throws Exception {
    write(root.resolve("cgroup.controllers"), "cpu io memory pids\n");
    Path dir = root.resolve("kubepods.slice/berth-c1.scope");
    write(dir.resolve("io.stat"), """
        254:0 rbytes=4096 wbytes=1048576 rios=1 wios=8 dbytes=0 dios=0
        8:0 rbytes=8192 wbytes=0 rios=2 wios=0 dbytes=0 dios=0
        """);
    write(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n");
    var reader = new CgroupReader(root);
    assertThat(reader.counters("/kubepods.slice/berth-c1.scope")).contains(new CgroupCounters(12288, 1048576, 3, 8, 1));
    assertThat(reader.counters("/kubepods.slice/missing.scope")).isEmpty();
  }

  @Test
  void readsV1BlkioAndOomControl() throws Exception {
    String cg = "berth/pod-1/c1";
    write(root.resolve("memory").resolve(cg).resolve("memory.oom_control"),
        "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    Path blkio = root.resolve("blkio").resolve(cg);
    write(blkio.resolve("blkio.throttle.io_service_bytes_recursive"),
        "254:0 Read 4096\n254:0 Write 8192\n254:0 Sync 0\n254:0 Total 12288\nTotal 12288\n");
    write(blkio.resolve("blkio.throttle.io_serviced_recursive"), "254:0 Read 1\n254:0 Write 2\nTotal 3\n");
    assertThat(new CgroupReader(root).counters(cg)).contains(new CgroupCounters(4096, 8192, 1, 2, 2));
  }
}
