package io.berth.cri.userns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.IDMapping;
import io.berth.proto.runtime.v1.LinuxContainerConfig;
import io.berth.proto.runtime.v1.LinuxContainerSecurityContext;
import io.berth.proto.runtime.v1.LinuxPodSandboxConfig;
import io.berth.proto.runtime.v1.LinuxSandboxSecurityContext;
import io.berth.proto.runtime.v1.NamespaceMode;
import io.berth.proto.runtime.v1.NamespaceOption;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.UserNamespace;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The user namespace options berth takes, and the precise refusals of the others. */
class UserNamespaceRulesTest {
  private static final String FIELD = "config.linux.security_context.namespace_options.userns_options";

  static IDMapping map(long container, long host, long length) {
    return IDMapping.newBuilder().setContainerId((int) container).setHostId((int) host).setLength((int) length)
        .build();
  }

  static UserNamespace podUserns(List<IDMapping> uids, List<IDMapping> gids) {
    return UserNamespace.newBuilder().setMode(NamespaceMode.POD).addAllUids(uids).addAllGids(gids).build();
  }

  static UserNamespace kubelets() {
    return podUserns(List.of(map(0, 100000, 65536)), List.of(map(0, 100000, 65536)));
  }

  static PodSandboxConfig pod(NamespaceOption options) {
    return PodSandboxConfig.newBuilder().setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(options))).build();
  }

  static PodSandboxConfig pod(UserNamespace userns) {
    return pod(NamespaceOption.newBuilder().setUsernsOptions(userns).build());
  }

  @Test
  void theKubeletsMappingIsAPodOfItsOwn() {
    var userns = UserNamespaceRules.pod(pod(kubelets())).orElseThrow();
    assertThat(userns.hostUid(0)).isEqualTo(100000);
    assertThat(userns.hostGid(65535)).isEqualTo(165535);
    assertThat(userns.hostUid(65536)).isEqualTo(-1);
    assertThat(userns.uidMap()).isEqualTo("0 100000 65536\n");
    assertThat(userns.specGids()).hasSize(1);
  }

  @Test
  void noOptionsOrModeNodeIsTheHosts() {
    assertThat(UserNamespaceRules.pod(PodSandboxConfig.getDefaultInstance())).isEmpty();
    assertThat(UserNamespaceRules.pod(pod(UserNamespace.newBuilder().setMode(NamespaceMode.NODE).build()))).isEmpty();
    assertThatThrownBy(() -> UserNamespaceRules.pod(pod(UserNamespace.newBuilder().setMode(NamespaceMode.NODE)
        .addUids(map(0, 100000, 10)).build())))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining(FIELD).hasMessageContaining("NODE");
    assertThatThrownBy(() -> UserNamespaceRules.pod(pod(UserNamespace.newBuilder().setMode(NamespaceMode.CONTAINER)
        .build())))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining(FIELD + ".mode CONTAINER");
  }

  @Test
  void badMappingsAreRefusedNamingTheRange() {
    List<IDMapping> ok = List.of(map(0, 100000, 65536));
    refused(podUserns(List.of(), ok), FIELD + ".uids is empty");
    refused(podUserns(ok, List.of()), FIELD + ".gids is empty");
    refused(podUserns(List.of(map(0, 100000, 0)), ok), FIELD + ".uids[0]", "length is 0");
    refused(podUserns(ok, List.of(map(0, 0xFFFF_0000L, 65537))), FIELD + ".gids[0]", "4294967295");
    refused(podUserns(ok, List.of(map(0xFFFF_FFFFL, 100000, 2))), FIELD + ".gids[0]", "4294967295");
    refused(podUserns(List.of(map(0, 100000, 1000), map(500, 300000, 10)), ok),
        FIELD + ".uids[0] and [1] overlap in container_id");
    refused(podUserns(List.of(map(1000, 200000, 10), map(0, 100000, 1000), map(2000, 100500, 10)), ok),
        FIELD + ".uids[1] and [2] overlap in host_id");
    refused(podUserns(List.of(map(1, 100000, 10)), ok), "container uid 0 is not mapped");
    refused(podUserns(ok, List.of(map(1, 100000, 10))), "container gid 0 is not mapped");
    var many = new ArrayList<IDMapping>();
    for (int i = 0; i < 341; i++) {
      many.add(map(i, 100000 + i, 1));
    }
    refused(podUserns(many, ok), "341 mappings", "340");
    var wide = new ArrayList<IDMapping>();
    for (int i = 0; i < 200; i++) {
      wide.add(map(1_000_000_000L + i, 3_000_000_000L + i, 1));
    }
    wide.add(map(0, 100000, 1));
    refused(podUserns(wide, ok), "4096 bytes");
  }

  @Test
  void adjacentRangesAreFine() {
    var userns = UserNamespaceRules.pod(pod(podUserns(List.of(map(0, 100000, 1000), map(1000, 101000, 1000)),
        List.of(map(0, 100000, 65536))))).orElseThrow();
    assertThat(userns.hostUid(1500)).isEqualTo(101500);
  }

  @Test
  void hostNamespacesAreRefusedInAPodOfItsOwn() {
    for (var kind : List.of("network", "pid", "ipc")) {
      var options = NamespaceOption.newBuilder().setUsernsOptions(kubelets());
      switch (kind) {
        case "network" -> options.setNetwork(NamespaceMode.NODE);
        case "pid" -> options.setPid(NamespaceMode.NODE);
        default -> options.setIpc(NamespaceMode.NODE);
      }
      assertThatThrownBy(() -> UserNamespaceRules.pod(pod(options.build())))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("config.linux.security_context.namespace_options." + kind + " is NODE");
    }
  }

  @Test
  void aContainerJoinsItsPodsUserNamespaceOrSaysNothing() {
    PodSandboxConfig pod = pod(kubelets());
    UserNamespaceRules.container(ContainerConfig.getDefaultInstance(), pod);
    UserNamespaceRules.container(container(kubelets()), pod);
    UserNamespaceRules.container(container(UserNamespace.newBuilder().setMode(NamespaceMode.NODE).build()),
        PodSandboxConfig.getDefaultInstance());
    assertThatThrownBy(() -> UserNamespaceRules.container(
        container(UserNamespace.newBuilder().setMode(NamespaceMode.NODE).build()), pod))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("config.linux.security_context.namespace_options.userns_options (mode NODE) differs "
            + "from its pod's (mode POD, uids 0:100000:65536, gids 0:100000:65536)");
    assertThatThrownBy(() -> UserNamespaceRules.container(container(podUserns(List.of(map(0, 200000, 65536)),
        List.of(map(0, 100000, 65536)))), pod))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("uids 0:200000:65536");
    assertThatThrownBy(() -> UserNamespaceRules.container(container(kubelets()), PodSandboxConfig.getDefaultInstance()))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("from its pod's (mode NODE)");
  }

  private static ContainerConfig container(UserNamespace userns) {
    return ContainerConfig.newBuilder().setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(
        LinuxContainerSecurityContext.newBuilder().setNamespaceOptions(
            NamespaceOption.newBuilder().setUsernsOptions(userns)))).build();
  }

  private static void refused(UserNamespace userns, String... parts) {
    var thrown = assertThatThrownBy(() -> UserNamespaceRules.pod(pod(userns)))
        .isInstanceOf(InvalidArgumentException.class);
    for (String part : parts) {
      thrown.hasMessageContaining(part);
    }
  }
}
