package io.berth.cri.pod;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.cri.userns.ContainerIdmaps;
import io.berth.cri.userns.PodUserNamespace;
import io.berth.oci.spec.CgroupPaths;
import io.berth.oci.spec.ContainerSpecInput;
import io.berth.oci.spec.RuntimeSpec;
import io.berth.proto.runtime.v1.LinuxPodSandboxConfig;
import io.berth.proto.runtime.v1.NamespaceMode;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.sys.RecordingSyscalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The infra container's spec in a pod's own user namespace, over the recording fake (no root, no runc). */
class InfraContainerTest {
  private static final PodUserNamespace MAPS = new PodUserNamespace(
      List.of(new PodUserNamespace.Range(0, 100000, 65536)), List.of(new PodUserNamespace.Range(0, 200000, 65536)));

  @TempDir Path dir;

  @Test
  void inAUserNamespaceItJoinsThePinsMakesOnlyThePidNamespaceAndRunsFromTheBoundRootfs() throws Exception {
    RecordingSyscalls sys = new RecordingSyscalls();
    Path catatonit = Files.writeString(dir.resolve("catatonit"), "#!/bin/true\n");
    var idmaps = new ContainerIdmaps(sys, dir.resolve("idmap"), dir.resolve("state-userns"));
    var infra = new InfraContainer(dir.resolve("infra"), catatonit, idmaps);
    PodSandboxConfig config = PodSandboxConfig.newBuilder().setHostname("p")
        .setLinux(LinuxPodSandboxConfig.newBuilder().putSysctls("net.ipv4.ip_unprivileged_port_start", "100"))
        .build();
    String pin = dir.resolve("netns/s1.user").toString();
    var pins = new InfraContainer.UserNamespacePins(new ContainerIdmaps.Target(pin, MAPS), "/pins/s1",
        "/pins/s1.ipc", "/pins/s1.uts");

    RuntimeSpec spec = infra.spec("s1", config, pins, CgroupPaths.Driver.CGROUPFS, "/berth/pod-s1",
        new ContainerSpecInput.HostFacts(0, false, -1L));

    assertThat(spec.linux().namespaces()).extracting(n -> n.type() + "=" + n.path()).contains("network=/pins/s1",
        "ipc=/pins/s1.ipc", "uts=/pins/s1.uts", "pid=null", "user=" + pin);
    assertThat(spec.linux().uidMappings()).isEqualTo(MAPS.specUids());
    assertThat(spec.linux().gidMappings()).isEqualTo(MAPS.specGids());
    assertThat(spec.hostname()).as("set in the pinned UTS namespace").isNull();
    assertThat(spec.linux().sysctl()).as("set in the pinned namespaces").isNullOrEmpty();
    Path root = dir.resolve("state-userns/s1/rootfs");
    assertThat(spec.root().path()).isEqualTo(root.toString());
    assertThat(spec.root().readonly()).isTrue();
    assertThat(sys.calls("mount")).extracting(c -> c.arg(0) + " -> " + c.arg(1))
        .containsExactly(dir.resolve("infra/rootfs") + " -> " + root);

    idmaps.remove("s1");
    assertThat(dir.resolve("state-userns/s1")).doesNotExist();
  }

  @Test
  void withoutAUserNamespaceItMakesItsOwnIpcUtsAndPidNamespaces() throws Exception {
    Path catatonit = Files.writeString(dir.resolve("catatonit"), "#!/bin/true\n");
    var infra = new InfraContainer(dir.resolve("infra"), catatonit);
    PodSandboxConfig config = PodSandboxConfig.newBuilder().setHostname("p").build();
    RuntimeSpec spec = infra.spec("s1", config, "/pins/s1", "p", CgroupPaths.Driver.CGROUPFS, "/berth/pod-s1",
        new ContainerSpecInput.HostFacts(0, false, -1L));
    assertThat(spec.linux().namespaces()).extracting(n -> n.type() + "=" + n.path()).contains("network=/pins/s1",
        "ipc=null", "uts=null", "pid=null").noneMatch(n -> n.startsWith("user"));
    assertThat(spec.root().path()).isEqualTo(dir.resolve("infra/rootfs").toString());
    assertThat(config.getLinux().getSecurityContext().getNamespaceOptions().getPid()).isEqualTo(NamespaceMode.POD);
  }
}
