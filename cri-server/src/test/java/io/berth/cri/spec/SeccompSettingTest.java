package io.berth.cri.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.oci.spec.SeccompProfiles;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.LinuxContainerConfig;
import io.berth.proto.runtime.v1.LinuxContainerSecurityContext;
import io.berth.proto.runtime.v1.SecurityProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Localhost seccomp profiles as a request names them: read bounded, checked, refused with the file named. */
class SeccompSettingTest {
  @TempDir Path dir;

  @Test
  void aLocalhostProfileIsReadAndParsed() throws Exception {
    Path file = Files.writeString(dir.resolve("p.json"), "{\"defaultAction\":\"SCMP_ACT_LOG\"}");
    SeccompSetting setting = ContainerSpecs.seccomp(config(file.toString(), false));
    assertThat(setting.kind()).isEqualTo(SeccompProfiles.Kind.LOCALHOST);
    assertThat(setting.localhost().get("defaultAction").asString()).isEqualTo("SCMP_ACT_LOG");
  }

  @Test
  void otherKindsAndPrivilegedContainersReadNothing() {
    assertThat(ContainerSpecs.seccomp(config("/dev/zero", true)))
        .isEqualTo(new SeccompSetting(SeccompProfiles.Kind.LOCALHOST, null));
    assertThat(SeccompSetting.of(new SeccompChoice(SeccompProfiles.Kind.RUNTIME_DEFAULT, null), false))
        .isEqualTo(new SeccompSetting(SeccompProfiles.Kind.RUNTIME_DEFAULT, null));
  }

  @Test
  void hostileFilesAreInvalidArgumentsNamingTheFile() throws Exception {
    Path fifo = dir.resolve("fifo.json");
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
    Path huge = Files.write(dir.resolve("huge.json"), new byte[SeccompSetting.MAX_PROFILE_BYTES + 1]);
    Path bad = Files.writeString(dir.resolve("bad.json"), "{\"defaultAction\":\"ALLOW\"}");
    assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
      assertRefused("/dev/zero", "seccomp Localhost profile /dev/zero is a character device, not a regular file");
      assertRefused(fifo.toString(), "seccomp Localhost profile " + fifo + " is a FIFO, not a regular file");
    });
    assertRefused(huge.toString(), "seccomp Localhost profile " + huge + " is larger than 1 MiB");
    assertRefused(bad.toString(), "seccomp profile " + bad + ": defaultAction \"ALLOW\" is not one of");
    Path none = dir.resolve("none.json");
    assertRefused(none.toString(), "seccomp Localhost profile " + none + " does not exist");
    assertRefused("relative.json", "seccomp Localhost profile 'relative.json' is not an absolute path");
    assertRefused("", "seccomp Localhost profile '' is not an absolute path");
  }

  private static void assertRefused(String path, String message) {
    assertThatThrownBy(() -> ContainerSpecs.seccomp(config(path, false)))
        .isInstanceOf(InvalidArgumentException.class).hasMessageStartingWith(message);
  }

  private static ContainerConfig config(String profile, boolean privileged) {
    return ContainerConfig.newBuilder().setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(
        LinuxContainerSecurityContext.newBuilder().setPrivileged(privileged).setSeccomp(SecurityProfile.newBuilder()
            .setProfileType(SecurityProfile.ProfileType.Localhost).setLocalhostRef(profile)))).build();
  }
}
