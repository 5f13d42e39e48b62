package io.berth.cri.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.cri.config.BerthConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** registry-hosts against fake hosts.toml trees, through image-store's own parser. */
class RegistryHostsCheckTest {
  static final String MIRROR = """
      server = "https://registry-1.docker.io"
      [host."http://mirror.local:5000"]
        capabilities = ["pull", "resolve"]
      """;

  @TempDir Path root;

  private static BerthConfig.Registry registry(Map<String, BerthConfig.Auth> auths) {
    return new BerthConfig.Registry("/etc/berth/certs.d", "linux/amd64", 3, 60, 10, 300, auths);
  }

  private Result check(FakeHost host) {
    return new RegistryHostsCheck(host, registry(Map.of())).run();
  }

  @Test
  void noConfigDirectoryPasses() {
    assertThat(check(FakeHost.in(root)).detail()).startsWith("no hosts files (/etc/berth/certs.d does not exist)");
  }

  @Test
  void validFilesPassAndAreNamed() {
    FakeHost host = FakeHost.in(root).file("/etc/berth/certs.d/docker.io/hosts.toml", MIRROR)
        .file("/etc/berth/certs.d/_default/hosts.toml", "")
        .dir("/etc/berth/certs.d/empty");
    assertThat(check(host)).isEqualTo(Result.pass("registry-hosts",
        "2 hosts files under /etc/berth/certs.d parse: _default, docker.io"));
  }

  @Test
  void invalidTomlFailsWithTheParsersMessage() {
    FakeHost host = FakeHost.in(root).file("/etc/berth/certs.d/docker.io/hosts.toml", "server = \n[host.\"x\"");
    Result result = check(host);
    assertThat(result.status()).isEqualTo(Status.FAIL);
    assertThat(result.detail()).startsWith("registry configuration /etc/berth/certs.d/docker.io/hosts.toml is not "
        + "valid TOML").endsWith("berthd refuses to start with it");
    assertThat(result.fix()).startsWith("fix or remove the file named");
  }

  @Test
  void anUnreadableFileFailsNamingItAndTheReason() {
    FakeHost host = FakeHost.in(root).bytes("/etc/berth/certs.d/docker.io/hosts.toml",
        new byte[] {'s', 'e', 'r', 'v', (byte) 0xff, (byte) 0xfe, '\n'});
    Result result = check(host);
    assertThat(result.status()).isEqualTo(Status.FAIL);
    assertThat(result.detail()).isEqualTo("cannot read /etc/berth/certs.d/docker.io/hosts.toml: not UTF-8 text; "
        + "berthd refuses to start with it");
    assertThat(result.fix()).isEqualTo("fix or remove /etc/berth/certs.d/docker.io/hosts.toml");
  }

  @Test
  void aHostsTomlThatIsADirectoryIsIgnoredWithAWarning() {
    FakeHost host = FakeHost.in(root).dir("/etc/berth/certs.d/docker.io/hosts.toml");
    assertThat(check(host).status()).isEqualTo(Status.WARN);
  }

  @Test
  void aMirrorsMissingCaFileWarns() {
    FakeHost host = FakeHost.in(root).file("/etc/berth/certs.d/docker.io/hosts.toml", """
        [host."https://mirror.local"]
          ca = "/etc/berth/certs.d/docker.io/ca.crt"
        """);
    Result result = check(host);
    assertThat(result.status()).isEqualTo(Status.WARN);
    assertThat(result.detail()).startsWith("ca file /etc/berth/certs.d/docker.io/ca.crt of mirror "
        + "https://mirror.local");
    host.file("/etc/berth/certs.d/docker.io/ca.crt", "-----BEGIN CERTIFICATE-----\n");
    assertThat(check(host).status()).isEqualTo(Status.PASS);
  }

  @Test
  void badDefaultCredentialsFail() {
    Result result = new RegistryHostsCheck(FakeHost.in(root),
        registry(Map.of("registry.local", new BerthConfig.Auth(null, null, "not base64!")))).run();
    assertThat(result.status()).isEqualTo(Status.FAIL);
    assertThat(result.detail()).startsWith("registry.auths.registry.local: ");
  }
}
