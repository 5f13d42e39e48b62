package io.berth.oci.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeccompProfilesTest {
  @Test
  void runtimeDefaultMatchesItsGoldenFile() {
    Golden.assertMatches("seccomp-runtime-default", SeccompProfiles.runtimeDefault());
    Seccomp profile = SeccompProfiles.runtimeDefault();
    assertThat(profile.defaultAction()).isEqualTo("SCMP_ACT_ERRNO");
    assertThat(profile.syscalls().getFirst().names()).contains("read", "write", "execve", "arch_prctl")
        .doesNotContain("mount", "unshare", "setns", "kexec_load", "init_module", "bpf", "ptrace", "clone");
  }

  @Test
  void unconfinedAndPrivilegedHaveNoFilter() {
    assertThat(SeccompProfiles.of(SeccompProfiles.Kind.UNCONFINED, null, false)).isNull();
    assertThat(SeccompProfiles.of(SeccompProfiles.Kind.RUNTIME_DEFAULT, null, true)).isNull();
  }

  @Test
  void localhostProfilesAreReadAndChecked(@TempDir Path dir) throws Exception {
    Path good = Files.writeString(dir.resolve("good.json"), "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
    assertThat(SeccompProfiles.of(SeccompProfiles.Kind.LOCALHOST, good.toString(), false).toString())
        .contains("SCMP_ACT_ALLOW");
    Path bad = Files.writeString(dir.resolve("bad.json"), "{\"syscalls\":[]}");
    assertThatThrownBy(() -> SeccompProfiles.of(SeccompProfiles.Kind.LOCALHOST, bad.toString(), false))
        .isInstanceOf(SpecException.class).hasMessageContaining("defaultAction");
    assertThatThrownBy(() -> SeccompProfiles.of(SeccompProfiles.Kind.LOCALHOST, "relative.json", false))
        .isInstanceOf(SpecException.class).hasMessageContaining("absolute");
    assertThatThrownBy(
            () -> SeccompProfiles.of(SeccompProfiles.Kind.LOCALHOST, dir.resolve("none.json").toString(), false))
        .isInstanceOf(SpecException.class).hasMessageContaining("none.json");
  }
}
