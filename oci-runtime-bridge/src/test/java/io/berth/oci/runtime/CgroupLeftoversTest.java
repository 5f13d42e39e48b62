package io.berth.oci.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Over plain directories standing in for cgroupfs: a non-empty directory plays a busy cgroup. */
class CgroupLeftoversTest {
  @TempDir Path root;

  @Test
  void removesTheContainersDirectoryInTheUnifiedTree() throws Exception {
    Files.writeString(root.resolve("cgroup.controllers"), "cpu memory pids\n");
    Path dir = Files.createDirectories(root.resolve("kubepods/pod1/c1"));
    assertThat(new CgroupLeftovers(root, Duration.ofSeconds(1)).remove("/kubepods/pod1/c1")).isEmpty();
    assertThat(dir).doesNotExist();
    assertThat(root.resolve("kubepods/pod1")).as("the pod's parent is not the runtime's").isDirectory();
  }

  @Test
  void removesItInEveryV1HierarchyButThroughLinks() throws Exception {
    Path memory = Files.createDirectories(root.resolve("memory/berth/c1"));
    Path cpu = Files.createDirectories(root.resolve("cpu,cpuacct/berth/c1"));
    Files.createSymbolicLink(root.resolve("cpu"), root.resolve("cpu,cpuacct"));
    assertThat(new CgroupLeftovers(root, Duration.ofSeconds(1)).remove("/berth/c1")).isEmpty();
    assertThat(memory).doesNotExist();
    assertThat(cpu).doesNotExist();
  }

  @Test
  void aDirectoryThatStaysBusyIsReportedAfterThePatience() throws Exception {
    Files.writeString(root.resolve("cgroup.controllers"), "memory\n");
    Path dir = Files.createDirectories(root.resolve("berth/c1"));
    Files.writeString(dir.resolve("busy"), "x");
    assertThat(new CgroupLeftovers(root, Duration.ofMillis(50)).remove("berth/c1")).containsExactly(dir);
  }

  @Test
  void systemdPathsAndEscapesAreNotTouched() throws Exception {
    Files.writeString(root.resolve("cgroup.controllers"), "memory\n");
    var leftovers = new CgroupLeftovers(root, Duration.ofMillis(50));
    assertThat(leftovers.remove("system.slice:berth:c1")).isEmpty();
    assertThat(leftovers.remove("/../etc")).isEmpty();
    assertThat(root.getParent().resolve("etc")).doesNotExist();
  }

  @Test
  void theCgroupsPathComesFromTheBundlesSpec() throws Exception {
    Files.writeString(root.resolve("config.json"), "{\"linux\":{\"cgroupsPath\":\"/kubepods/pod1/c1\"}}");
    assertThat(CgroupLeftovers.cgroupsPath(root)).isEqualTo("/kubepods/pod1/c1");
    assertThat(CgroupLeftovers.cgroupsPath(root.resolve("missing"))).isNull();
  }

  @Test
  void cgroupsBelowTheContainersAreRemovedFirst() throws Exception {
    Files.writeString(root.resolve("cgroup.controllers"), "memory\n");
    Path dir = Files.createDirectories(root.resolve("kubepods/pod1/c1/init.scope/deeper"));
    assertThat(new CgroupLeftovers(root, Duration.ofSeconds(1)).remove("/kubepods/pod1/c1")).isEmpty();
    assertThat(root.resolve("kubepods/pod1/c1")).doesNotExist();
    assertThat(dir).doesNotExist();
  }
}
