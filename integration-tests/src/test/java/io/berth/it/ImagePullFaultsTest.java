package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.it.fixtures.FixtureImages;
import io.berth.it.fixtures.OciLayout;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.Commands;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.DiskState;
import io.berth.it.harness.FreePort;
import io.berth.it.harness.Registry;
import io.berth.it.harness.RegistryProxy;
import io.berth.it.harness.RegistryProxy.Fault;
import io.berth.proto.runtime.v1.AuthConfig;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input and faults on the pull path: each gets a precise status and a message naming the
 * reference and the cause, and leaves no blob, partial file, snapshot or image record behind.
 * The registry is reached through a fault-injecting proxy configured as its mirror.
 */
class ImagePullFaultsTest {
  @TempDir static Path shared;
  static Registry registry;
  static Registry secured;
  static RegistryProxy proxy;
  static BerthdProcess berthd;

  @BeforeAll
  static void start() throws Exception {
    registry = Registry.start(shared.resolve("registry"));
    FixtureImages.get().pushAll(registry);
    secured = Registry.startWithBasicAuth(shared.resolve("secured"), "tester", "s3cret");
    secured.push(FixtureImages.get().layout(), FixtureImages.BUSYBOX, "private/busybox:1.0", Registry.Format.OCI);
    proxy = new RegistryProxy(registry);
    Path hosts = Files.createDirectories(shared.resolve("certs.d/flaky.example.test"));
    Files.writeString(hosts.resolve("hosts.toml"), "server = \"https://flaky.example.test\"\n[host.\"http://"
        + proxy.host() + "\"]\n");
    String config = """
        [registry]
        config_path = "%s"
        stall_timeout_seconds = 2
        [registry.auths."%s"]
        username = "tester"
        password = "s3cret"
        """.formatted(shared.resolve("certs.d"), "127.0.0.2:1");
    berthd = BerthdProcess.start(shared.resolve("berthd"), config);
  }

  @AfterAll
  static void stop() {
    berthd.close();
    proxy.close();
    secured.close();
    registry.close();
  }

  List<String> before;

  @BeforeEach
  void remember() {
    proxy.clearFaults();
    proxy.forgetRequests();
    before = DiskState.of(berthd.rootDir());
  }

  @AfterEach
  void nothingLeftBehind() {
    assertThat(DiskState.of(berthd.rootDir())).as("berthd's root after a failed pull").isEqualTo(before);
  }

  static String flaky(String repository) {
    return "flaky.example.test/" + repository + ":" + FixtureImages.TAG;
  }

  private static void assertPullFails(String image, AuthConfig auth, Status.Code code, String... messageParts) {
    assertThatThrownBy(() -> CriCalls.pull(berthd.client(), image, auth))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
          assertThat(e.getStatus().getDescription()).contains(messageParts);
        });
    assertThat(CriCalls.status(berthd.client(), image, false).hasImage()).isFalse();
  }

  private static void assertPullFails(String image, Status.Code code, String... messageParts) {
    assertPullFails(image, AuthConfig.getDefaultInstance(), code, messageParts);
  }

  @Test
  void invalidReferences() {
    assertPullFails("UPPER/Case:1", Status.Code.INVALID_ARGUMENT, "UPPER/Case:1");
    assertPullFails("busybox:bad tag", Status.Code.INVALID_ARGUMENT, "busybox:bad tag");
    assertPullFails("repo@sha256:1234", Status.Code.INVALID_ARGUMENT, "repo@sha256:1234");
    assertPullFails("", Status.Code.INVALID_ARGUMENT, "image.image");
  }

  @Test
  void unknownHostAndClosedPort() {
    assertPullFails("no-such-host.invalid/x/y:1", Status.Code.UNAVAILABLE, "no-such-host.invalid", "unknown host");
    String closed = "127.0.0.1:" + FreePort.pick() + "/x/y:1";
    assertPullFails(closed, Status.Code.UNAVAILABLE, closed.substring(0, closed.indexOf('/')), "connection refused");
  }

  @Test
  void missingRepositoryTagAndBlob() {
    assertPullFails(registry.host() + "/no/such-repo:1.0", Status.Code.NOT_FOUND, "no/such-repo", "not found");
    assertPullFails(registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":no-such-tag", Status.Code.NOT_FOUND,
        "no-such-tag", "MANIFEST_UNKNOWN");
    proxy.inject("/blobs/", new Fault.Replace(404, "application/json",
        "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown to registry\"}]}".getBytes()), 100);
    assertPullFails(flaky(FixtureImages.MULTILAYER_REPO), Status.Code.NOT_FOUND, "BLOB_UNKNOWN");
  }

  @Test
  void credentialsMissingWrongAndRight() {
    String image = secured.host() + "/private/busybox:1.0";
    assertPullFails(image, Status.Code.UNAUTHENTICATED, secured.host(), "none were given");
    AuthConfig wrong = AuthConfig.newBuilder().setUsername("tester").setPassword("wrong").build();
    assertPullFails(image, wrong, Status.Code.UNAUTHENTICATED, "tester", "private/busybox");
    AuthConfig right = AuthConfig.newBuilder()
        .setAuth(Base64.getEncoder().encodeToString("tester:s3cret".getBytes(StandardCharsets.UTF_8))).build();
    String id = CriCalls.pull(berthd.client(), image, right);
    CriCalls.remove(berthd.client(), id);
  }

  @Test
  void contentThatDoesNotMatchItsDigest() {
    proxy.inject("/blobs/sha256:", new Fault.Corrupt(), 100);
    assertPullFails(flaky(FixtureImages.MULTILAYER_REPO), Status.Code.INVALID_ARGUMENT, "arrived with digest");
    proxy.clearFaults();
    String digest = CriCalls.pull(berthd.client(), flaky(FixtureImages.MULTILAYER_REPO)); // fine without faults
    CriCalls.remove(berthd.client(), digest);
    proxy.inject("/manifests/sha256:", new Fault.Corrupt(), 100);
    String byDigest =
        "flaky.example.test/" + FixtureImages.MULTIARCH_REPO + "@" + manifestDigest(FixtureImages.MULTIARCH_REPO);
    assertPullFails(byDigest, Status.Code.INVALID_ARGUMENT, "has digest");
  }

  @Test
  void connectionCutOnceIsResumedWithARangeRequest() {
    proxy.inject("/blobs/sha256:", new Fault.Cut(300), 1);
    String id = CriCalls.pull(berthd.client(), flaky(FixtureImages.BUSYBOX_REPO));
    assertThat(proxy.requests()).anyMatch(r -> r.range() != null && r.range().startsWith("bytes="));
    CriCalls.remove(berthd.client(), id);
  }

  @Test
  void connectionCutEveryTimeFailsCleanly() {
    proxy.inject("/blobs/sha256:", new Fault.Cut(300), 100);
    assertPullFails(flaky(FixtureImages.BUSYBOX_REPO), Status.Code.UNAVAILABLE, "blob sha256:");
  }

  @Test
  void stalledTransferTimesOut() {
    proxy.inject("/blobs/sha256:", new Fault.Stall(100, 10_000), 100);
    long start = System.nanoTime();
    assertPullFails(flaky(FixtureImages.BUSYBOX_REPO), Status.Code.UNAVAILABLE, "no data", "2 s");
    assertThat((System.nanoTime() - start) / 1_000_000_000).isLessThan(30);
  }

  @Test
  void oversizedSchema1AndUnknownManifests() {
    // docker-registry itself refuses to store manifests over 4 MiB, so the proxy serves one.
    byte[] huge = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        + "\"annotations\":{\"pad\":\"" + "x".repeat(5 << 20) + "\"}}").getBytes(StandardCharsets.UTF_8);
    proxy.inject("/manifests/", new Fault.Replace(200, "application/vnd.oci.image.manifest.v1+json", huge), 1);
    assertPullFails(flaky(FixtureImages.BUSYBOX_REPO), Status.Code.INVALID_ARGUMENT, FixtureImages.BUSYBOX_REPO,
        "limit");

    proxy.inject("/manifests/", new Fault.Replace(200, "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "{\"schemaVersion\":1,\"name\":\"x\",\"tag\":\"1\",\"fsLayers\":[]}".getBytes()), 1);
    assertPullFails(flaky(FixtureImages.BUSYBOX_REPO), Status.Code.INVALID_ARGUMENT, "schema 1");

    proxy.inject("/manifests/", new Fault.Replace(200, "application/vnd.example.unknown+json",
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.example.unknown+json\"}".getBytes()), 1);
    assertPullFails(flaky(FixtureImages.BUSYBOX_REPO), Status.Code.INVALID_ARGUMENT, "unsupported media type");
  }

  @Test
  void platformMissingFromTheIndex() throws Exception {
    try (BerthdProcess s390x =
        BerthdProcess.start(shared.resolve("s390x"), "[registry]\nplatform = \"linux/s390x\"\n")) {
      String image = registry.host() + "/" + FixtureImages.MULTIARCH_REPO + ":" + FixtureImages.TAG;
      assertThatThrownBy(() -> CriCalls.pull(s390x.client(), image))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
            assertThat(e.getStatus().getDescription()).contains("linux/s390x").contains("linux/arm64/v8");
          });
      assertThat(DiskState.of(s390x.rootDir())).isEmpty();
    }
  }

  @Test
  void diskFullFailsCleanly() throws Exception {
    Path small = Files.createDirectories(shared.resolve("tiny-disk"));
    Commands.runOrFail("mount", "-t", "tmpfs", "-o", "size=600k", "berth-test-tiny", small.toString());
    try (BerthdProcess tiny = BerthdProcess.start(small.resolve("berthd"), "")) {
      String image = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
      assertThatThrownBy(() -> CriCalls.pull(tiny.client(), image))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
            assertThat(e.getStatus().getDescription()).containsIgnoringCase("space");
          });
      assertThat(DiskState.of(tiny.rootDir())).isEmpty();
    } finally {
      Commands.runOrFail("umount", small.toString());
    }
  }

  private static String manifestDigest(String repository) {
    return CriCalls.status(berthd.client(), "x", false).hasImage() ? "" : resolveDigest(repository);
  }

  private static String resolveDigest(String repository) {
    try {
      var response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create(registry.baseUrl() + "/v2/" + repository + "/manifests/" + FixtureImages.TAG))
          .header("Accept", "application/vnd.oci.image.index.v1+json").build(),
          HttpResponse.BodyHandlers.ofByteArray());
      return OciLayout.digest(response.body());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
