package io.berth.image.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.image.ImageException;
import io.berth.image.oci.Platform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryHostsTest {
  @Test
  void loopbackRegistriesArePlainHttpOthersHttps() {
    RegistryHosts hosts = RegistryHosts.none();
    assertThat(hosts.endpointsFor("localhost:5000").getFirst().base().toString()).isEqualTo("http://localhost:5000");
    assertThat(hosts.endpointsFor("127.0.0.7:80").getFirst().base().toString()).isEqualTo("http://127.0.0.7:80");
    assertThat(hosts.endpointsFor("[::1]:5000").getFirst().base().toString()).isEqualTo("http://[::1]:5000");
    assertThat(hosts.endpointsFor("quay.io").getFirst().base().toString()).isEqualTo("https://quay.io");
    assertThat(hosts.endpointsFor("docker.io").getFirst().base().toString()).isEqualTo("https://registry-1.docker.io");
    assertThat(hosts.endpointsFor("128.0.0.1").getFirst().base().toString()).startsWith("https://");
  }

  @Test
  void hostsTomlGivesMirrorsInOrderThenTheUpstream(@TempDir Path dir) throws Exception {
    Path k8s = Files.createDirectories(dir.resolve("registry.k8s.io"));
    Files.writeString(k8s.resolve("hosts.toml"), """
        server = "https://registry.k8s.io"
        [host."http://localhost:5000"]
          capabilities = ["pull", "resolve"]
        [host."https://mirror.example/v2"]
          capabilities = ["pull"]
          skip_verify = true
        [host."https://push-only.example"]
          capabilities = ["push"]
        """);
    Path fallback = Files.createDirectories(dir.resolve("_default"));
    Files.writeString(fallback.resolve("hosts.toml"), "[host.\"http://localhost:6000\"]\n");
    RegistryHosts hosts = RegistryHosts.load(dir, Map.of());
    var endpoints = hosts.endpointsFor("registry.k8s.io");
    assertThat(endpoints).extracting(e -> e.base().toString())
        .containsExactly("http://localhost:5000", "https://mirror.example", "https://registry.k8s.io");
    assertThat(endpoints.get(1).skipVerify()).isTrue();
    assertThat(endpoints.getLast().mirror()).isFalse();
    assertThat(hosts.endpointsFor("gcr.io")).extracting(e -> e.base().toString())
        .containsExactly("http://localhost:6000", "https://gcr.io");
  }

  @Test
  void brokenHostsTomlIsReported(@TempDir Path dir) throws Exception {
    Path bad = Files.createDirectories(dir.resolve("bad.example"));
    Files.writeString(bad.resolve("hosts.toml"), "server = [[[");
    assertThatThrownBy(() -> RegistryHosts.load(dir, Map.of()))
        .isInstanceOf(ImageException.InvalidReference.class)
        .hasMessageContaining(bad.resolve("hosts.toml").toString());
  }

  @Test
  void credentialsFromEveryCriForm() {
    Credentials basic = Credentials.of("u", "p", "", "", "");
    assertThat(basic.hasBasic()).isTrue();
    assertThat(basic.basicHeader()).isEqualTo("Basic " + Base64.getEncoder().encodeToString("u:p".getBytes()));
    Credentials auth = Credentials.of("", "", Base64.getEncoder().encodeToString("x:y:z".getBytes()), "", "");
    assertThat(auth.username()).isEqualTo("x");
    assertThat(auth.password()).isEqualTo("y:z");
    assertThat(Credentials.of("", "", "", "", "tok").registryToken()).isEqualTo("tok");
    assertThat(Credentials.of("", "", "", "", "").isEmpty()).isTrue();
    assertThatThrownBy(() -> Credentials.of("", "", "!!notbase64", "", ""))
        .isInstanceOf(ImageException.InvalidReference.class);
  }

  @Test
  void platformMatchingIsVariantAware() {
    Platform arm64 = Platform.parse("linux/arm64");
    assertThat(arm64.accepts(new Platform("arm64", "linux", "v8", null))).isTrue();
    assertThat(arm64.accepts(new Platform("arm64", "linux", null, null))).isTrue();
    Platform armv7 = Platform.parse("linux/arm/v7");
    assertThat(armv7.accepts(new Platform("arm", "linux", "v6", null))).isFalse();
    assertThat(armv7.accepts(new Platform("arm", "linux", "v7", null))).isTrue();
    assertThat(Platform.LINUX_AMD64.accepts(new Platform("amd64", "windows", null, null))).isFalse();
    assertThatThrownBy(() -> Platform.parse("linux")).isInstanceOf(ImageException.InvalidReference.class);
  }
}
