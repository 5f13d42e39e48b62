package io.berth.oci.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A whole spec, as the lifecycle issue will build one for a pod's container. */
class SpecBuilderTest {
  static ContainerSpecInput input(boolean privileged, int oomScoreAdj) {
    return new ContainerSpecInput(
        "c0ffee",
        "/var/lib/berth/containers/c0ffee/rootfs",
        new ImageRuntimeDefaults("berth", List.of("PATH=/usr/bin:/bin"), List.of("/bin/sh"), List.of(), "/home/berth"),
        new ContainerSpecInput.ProcessInput(List.of(), List.of("-c", "id"), List.of(Map.entry("MODE", "test")), "",
            false, new UserResolver.Request(null, null, null, List.of(), null),
            "root:x:0:0::/root:/bin/sh\nberth:x:1000:1000::/home/berth:/bin/sh\n", "wheel:x:10:berth\n", oomScoreAdj),
        new ContainerSpecInput.SecurityInput(privileged, List.of(), List.of(), true, true, null, null,
            Map.of("net.ipv4.ip_unprivileged_port_start", "0"), SeccompProfiles.Kind.RUNTIME_DEFAULT, null,
            List.of(new Devices.HostDevice("/dev/fuse", 'c', 10, 229, "rw"))),
        new ContainerSpecInput.NamespaceInput(Namespaces.Mode.POD, Namespaces.Mode.POD, Namespaces.Mode.CONTAINER,
            new Namespaces.SandboxPaths("/run/berth/netns/pod1", "/proc/100/ns/ipc", "/proc/100/ns/uts", null, null),
            "pod-1"),
        new ContainerSpecInput.CgroupInput(CgroupPaths.Driver.CGROUPFS, "/kubepods/pod1",
            new RuntimeSpec.Resources(new RuntimeSpec.Memory(64L << 20, 64L << 20),
                new RuntimeSpec.Cpu(512L, 50000L, 100000L, null, null), new RuntimeSpec.Pids(100),
                null, null, null)),
        new ContainerSpecInput.MountInput(new Mounts.SandboxFiles("/run/berth/pod1/hosts", null, null, null),
            null, null, List.of()),
        new ContainerSpecInput.HostFacts(0, false),
        Map.of("io.kubernetes.cri.container-type", "container"));
  }

  @Test
  void fullSpecOfAnUnprivilegedContainer() {
    RuntimeSpec spec = SpecBuilder.build(input(false, -999));
    assertThat(spec.process().oomScoreAdj()).as("clamped: no CAP_SYS_RESOURCE here").isZero();
    assertThat(spec.process().user().uid()).isEqualTo(1000);
    assertThat(spec.process().cwd()).isEqualTo("/home/berth");
    Golden.assertMatches("spec-unprivileged", spec);
  }

  @Test
  void privilegedContainersAreNotMasked() {
    RuntimeSpec spec = SpecBuilder.build(input(true, 0));
    assertThat(spec.linux().maskedPaths()).isEmpty();
    assertThat(spec.linux().readonlyPaths()).isEmpty();
    assertThat(spec.process().capabilities().bounding()).hasSize(CapabilitySets.ALL.size());
  }

  @Test
  void onCgroupV2EveryContainerGetsItsOwnCgroupNamespace() {
    ContainerSpecInput v1 = input(false, 0);
    assertThat(SpecBuilder.build(v1).linux().namespaces()).noneMatch(n -> n.type().equals("cgroup"));
    ContainerSpecInput v2 = new ContainerSpecInput(v1.containerId(), v1.rootfs(), v1.image(), v1.process(),
        v1.security(), v1.namespaces(), v1.cgroup(), v1.mounts(), new ContainerSpecInput.HostFacts(0, false, -1L, true),
        v1.annotations());
    assertThat(SpecBuilder.build(v2).linux().namespaces())
        .contains(new RuntimeSpec.Namespace("cgroup", null));
    ContainerSpecInput privileged = input(true, 0);
    ContainerSpecInput privilegedV2 = new ContainerSpecInput(privileged.containerId(), privileged.rootfs(),
        privileged.image(), privileged.process(), privileged.security(), privileged.namespaces(), privileged.cgroup(),
        privileged.mounts(), new ContainerSpecInput.HostFacts(0, false, -1L, true), privileged.annotations());
    assertThat(SpecBuilder.build(privilegedV2).linux().namespaces()).as("a privileged node agent sees the host's tree")
        .noneMatch(n -> n.type().equals("cgroup"));
  }
}
