package io.berth.oci.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Capabilities, namespaces, cgroup paths and mounts, each against its golden file. */
class SecurityAndLayoutTest {
  private static final Namespaces.SandboxPaths PATHS = new Namespaces.SandboxPaths(
      "/run/berth/netns/pod1", "/proc/100/ns/ipc", "/proc/100/ns/uts", "/proc/100/ns/pid", null);

  @Test
  void capabilities() {
    Golden.assertMatches("capabilities-default", CapabilitySets.of(false, List.of(), List.of(), true));
    Golden.assertMatches("capabilities-drop-all-add-net-bind",
        CapabilitySets.of(false, List.of("NET_BIND_SERVICE"), List.of("ALL"), true));
    Golden.assertMatches("capabilities-non-root", CapabilitySets.of(false, List.of(), List.of("net_raw"), false));
    assertThat(CapabilitySets.of(true, List.of(), List.of("ALL"), true).bounding()).hasSize(CapabilitySets.ALL.size());
    assertThatThrownBy(() -> CapabilitySets.of(false, List.of("FLY"), List.of(), true))
        .isInstanceOf(SpecException.class).hasMessageContaining("FLY");
  }

  @Test
  void namespaces() {
    Golden.assertMatches("namespaces-pod",
        Namespaces.of(Namespaces.Mode.POD, Namespaces.Mode.POD, Namespaces.Mode.CONTAINER, PATHS));
    Golden.assertMatches("namespaces-host",
        Namespaces.of(Namespaces.Mode.NODE, Namespaces.Mode.NODE, Namespaces.Mode.NODE, PATHS));
    Golden.assertMatches("namespaces-target-pid", Namespaces.of(Namespaces.Mode.POD, Namespaces.Mode.POD,
        Namespaces.Mode.TARGET, new Namespaces.SandboxPaths("/n", "/i", "/u", "/p", "/proc/200/ns/pid")));
    assertThatThrownBy(() -> Namespaces.of(Namespaces.Mode.POD, Namespaces.Mode.POD, Namespaces.Mode.TARGET, PATHS))
        .isInstanceOf(SpecException.class).hasMessageContaining("TARGET");
  }

  @Test
  void cgroupPaths() {
    assertThat(CgroupPaths.of(CgroupPaths.Driver.CGROUPFS, "/kubepods/burstable/pod123", "abc"))
        .isEqualTo("/kubepods/burstable/pod123/abc");
    assertThat(CgroupPaths.of(CgroupPaths.Driver.CGROUPFS, "", "abc")).isEqualTo("/berth/abc");
    assertThat(CgroupPaths.of(CgroupPaths.Driver.SYSTEMD, "kubepods-burstable-pod123.slice", "abc"))
        .isEqualTo("kubepods-burstable-pod123.slice:berth:abc");
    assertThatThrownBy(() -> CgroupPaths.of(CgroupPaths.Driver.SYSTEMD, "/kubepods", "abc"))
        .isInstanceOf(SpecException.class);
    for (String malformed : List.of("kubepods--burstable.slice", "-kubepods.slice", "kubepods-.slice", "-.slice",
        "kube pods.slice", "kubepods/burstable.slice", ".slice", "kubepods.slice.service",
        "a".repeat(250) + ".slice")) {
      assertThat(CgroupPaths.isSliceName(malformed)).as(malformed).isFalse();
      assertThatThrownBy(() -> CgroupPaths.of(CgroupPaths.Driver.SYSTEMD, malformed, "abc"))
          .isInstanceOf(SpecException.class).hasMessageContaining("not a systemd slice name");
    }
    assertThat(CgroupPaths.isSliceName("kubepods-besteffort-pod0a1b_2c.slice")).isTrue();
    assertThat(CgroupPaths.isSliceName("system.slice")).isTrue();
  }

  @Test
  void mounts() {
    Mounts.SandboxFiles files = new Mounts.SandboxFiles("/run/berth/pod1/hosts", "/run/berth/pod1/resolv.conf",
        "/run/berth/pod1/hostname", "/run/berth/pod1/shm");
    Golden.assertMatches("mounts", Mounts.of(false, files, "/var/lib/kubelet/pods/x/termination-log",
        "/dev/termination-log",
        List.of(new Mounts.Bind("/data", "/srv/data", true, Mounts.Propagation.HOST_TO_CONTAINER, true),
            new Mounts.Bind("/etc/hosts", "/custom/hosts", false, Mounts.Propagation.PRIVATE, false))));
    assertThat(Mounts.of(true, new Mounts.SandboxFiles(null, null, null, null), null, null, List.of()))
        .filteredOn(m -> m.destination().equals("/sys")).first()
        .satisfies(m -> assertThat(m.options()).contains("rw"));
    assertThatThrownBy(() -> Mounts.of(false, files, null, null,
            List.of(new Mounts.Bind("relative", "/x", false, Mounts.Propagation.PRIVATE, false))))
        .isInstanceOf(SpecException.class);
  }
}
