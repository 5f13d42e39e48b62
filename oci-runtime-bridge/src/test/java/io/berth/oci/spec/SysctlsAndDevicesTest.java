package io.berth.oci.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SysctlsAndDevicesTest {
  @Test
  void onlyNamespacedSysctlsPass() {
    assertThat(Sysctls.validate(Map.of("net/ipv4/ip_forward", "1", "kernel.shmmax", "1000"), true, true))
        .containsEntry("net.ipv4.ip_forward", "1").containsEntry("kernel.shmmax", "1000");
    assertThatThrownBy(() -> Sysctls.validate(Map.of("kernel.panic", "1"), true, true))
        .isInstanceOf(SpecException.class).hasMessageContaining("kernel.panic").hasMessageContaining("not namespaced");
    assertThatThrownBy(() -> Sysctls.validate(Map.of("net.core.somaxconn", "1"), false, true))
        .isInstanceOf(SpecException.class).hasMessageContaining("network namespace");
    assertThatThrownBy(() -> Sysctls.validate(Map.of("kernel.msgmax", "1"), true, false))
        .isInstanceOf(SpecException.class).hasMessageContaining("IPC namespace");
  }

  @Test
  void devicesGetNodesAndCgroupRules() {
    Golden.assertMatches("devices", Devices.of(List.of(
        new Devices.HostDevice("/dev/fuse", 'c', 10, 229, "rw"),
        new Devices.HostDevice("/dev/loop7", 'b', 7, 7, ""))));
    assertThatThrownBy(() -> Devices.of(List.of(new Devices.HostDevice("/dev/x", 'c', 1, 1, "rwx"))))
        .isInstanceOf(SpecException.class).hasMessageContaining("rwx");
    assertThatThrownBy(() -> Devices.of(List.of(new Devices.HostDevice("dev/x", 'c', 1, 1, "r"))))
        .isInstanceOf(SpecException.class).hasMessageContaining("not absolute");
  }
}
