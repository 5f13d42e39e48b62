package io.berth.cri.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.oci.spec.SeccompProfiles;
import io.berth.proto.runtime.v1.HugepageLimit;
import io.berth.proto.runtime.v1.LinuxContainerResources;
import io.berth.proto.runtime.v1.SecurityProfile;
import org.junit.jupiter.api.Test;

/** CRI fields as the runtime bridge's inputs: resources and seccomp choices. */
class CriTranslationTest {
  @Test
  void resourcesLeaveUnsetFieldsOut() {
    var empty = ContainerResources.of(LinuxContainerResources.getDefaultInstance());
    assertThat(empty.memory()).isNull();
    assertThat(empty.cpu()).isNull();
    assertThat(empty.hugepageLimits()).isNull();

    var set = ContainerResources.of(LinuxContainerResources.newBuilder()
        .setMemoryLimitInBytes(64 << 20).setMemorySwapLimitInBytes(64 << 20)
        .setCpuShares(512).setCpuQuota(50_000).setCpuPeriod(100_000).setCpusetCpus("0-1")
        .addHugepageLimits(HugepageLimit.newBuilder().setPageSize("2MB").setLimit(4 << 20))
        .putUnified("memory.high", "1000000").build());
    assertThat(set.memory().limit()).isEqualTo(64L << 20);
    assertThat(set.memory().swap()).isEqualTo(64L << 20);
    assertThat(set.cpu().shares()).isEqualTo(512);
    assertThat(set.cpu().quota()).isEqualTo(50_000);
    assertThat(set.cpu().period()).isEqualTo(100_000);
    assertThat(set.cpu().cpus()).isEqualTo("0-1");
    assertThat(set.cpu().mems()).isNull();
    assertThat(set.hugepageLimits()).singleElement().satisfies(h -> assertThat(h.pageSize()).isEqualTo("2MB"));
    assertThat(set.unified()).containsEntry("memory.high", "1000000");
  }

  @Test
  void seccompFieldWinsOverTheDeprecatedPathAndNeitherMeansUnconfined() {
    assertThat(SeccompChoice.of(true, SecurityProfile.newBuilder()
        .setProfileType(SecurityProfile.ProfileType.RuntimeDefault).build(), "unconfined").kind())
        .isEqualTo(SeccompProfiles.Kind.RUNTIME_DEFAULT);
    var localhost = SeccompChoice.of(true, SecurityProfile.newBuilder()
        .setProfileType(SecurityProfile.ProfileType.Localhost).setLocalhostRef("/p.json").build(), "");
    assertThat(localhost).isEqualTo(new SeccompChoice(SeccompProfiles.Kind.LOCALHOST, "/p.json"));
    assertThat(SeccompChoice.of(false, SecurityProfile.getDefaultInstance(), "").kind())
        .isEqualTo(SeccompProfiles.Kind.UNCONFINED);
    assertThat(SeccompChoice.of(false, SecurityProfile.getDefaultInstance(), "docker/default").kind())
        .isEqualTo(SeccompProfiles.Kind.RUNTIME_DEFAULT);
    assertThat(SeccompChoice.of(false, SecurityProfile.getDefaultInstance(), "localhost//etc/x.json"))
        .isEqualTo(new SeccompChoice(SeccompProfiles.Kind.LOCALHOST, "/etc/x.json"));
    assertThatThrownBy(() -> SeccompChoice.of(false, SecurityProfile.getDefaultInstance(), "bogus"))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("bogus");
  }
}
