package io.berth.oci.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Host-dependent parts of the spec: the daemon's bounding set, root propagation, seccomp arches. */
class CapabilityRestrictTest {
  @Test
  void capabilitiesTheDaemonLacksAreLeftOut() {
    var all = CapabilitySets.of(true, List.of(), List.of(), true);
    long withoutSysResource = 0x000001fffeffffffL; // these machines: CAP_SYS_RESOURCE (24) missing
    var restricted = CapabilitySets.restrict(all, withoutSysResource);
    assertThat(all.bounding()).contains("CAP_SYS_RESOURCE");
    assertThat(restricted.bounding()).doesNotContain("CAP_SYS_RESOURCE").contains("CAP_SYS_ADMIN", "CAP_BPF");
    assertThat(restricted.effective()).doesNotContain("CAP_SYS_RESOURCE");
    assertThat(CapabilitySets.restrict(all, -1L)).isSameAs(all);
  }

  @Test
  void theRootFollowsTheStrongestBindPropagation() {
    var priv = new Mounts.Bind("/a", "/h/a", false, Mounts.Propagation.PRIVATE, false);
    var slave = new Mounts.Bind("/b", "/h/b", false, Mounts.Propagation.HOST_TO_CONTAINER, false);
    var shared = new Mounts.Bind("/c", "/h/c", false, Mounts.Propagation.BIDIRECTIONAL, false);
    assertThat(Mounts.rootfsPropagation(List.of(priv))).isEqualTo("rprivate");
    assertThat(Mounts.rootfsPropagation(List.of(priv, slave))).isEqualTo("rslave");
    assertThat(Mounts.rootfsPropagation(List.of(slave, shared))).isEqualTo("rshared");
  }

  @Test
  void seccompListsOnlyTheHostsArchitectureFamily() {
    assertThat(SeccompProfiles.architectures("amd64")).containsExactly("SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
        "SCMP_ARCH_X32");
    assertThat(SeccompProfiles.architectures("aarch64")).containsExactly("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
  }
}
