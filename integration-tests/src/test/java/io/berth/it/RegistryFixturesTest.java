package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.it.fixtures.FixtureImages;
import io.berth.it.fixtures.OciLayout;
import io.berth.it.harness.Commands;
import io.berth.it.harness.Registry;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The test harness's own parts: a real registry on loopback serves every fixture as built
 * (media types, compression, platforms, diff IDs), and the basic-auth registry enforces auth.
 */
class RegistryFixturesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ACCEPT = String.join(",",
      "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
      "application/vnd.docker.distribution.manifest.v2+json",
      "application/vnd.docker.distribution.manifest.list.v2+json");

  @TempDir static Path work;
  static Registry registry;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void pushFixtures() {
    registry = Registry.start(work.resolve("registry"));
    FixtureImages.get().pushAll(registry);
  }

  @AfterAll
  static void stopRegistry() {
    registry.close();
  }

  @Test
  void busyboxIsServedAsOciAndAsDockerSchema2() throws Exception {
    HttpResponse<byte[]> oci =
        get(registry, "/v2/" + FixtureImages.BUSYBOX_REPO + "/manifests/" + FixtureImages.TAG, null);
    assertThat(oci.headers().firstValue("Content-Type")).hasValue(OciLayout.MANIFEST);
    HttpResponse<byte[]> docker =
        get(registry, "/v2/" + FixtureImages.BUSYBOX_DOCKER_REPO + "/manifests/" + FixtureImages.TAG, null);
    assertThat(docker.headers().firstValue("Content-Type"))
        .hasValue("application/vnd.docker.distribution.manifest.v2+json");
    JsonNode manifest = JSON.readTree(docker.body());
    assertThat(manifest.get("layers").get(0).get("mediaType").asString())
        .isEqualTo("application/vnd.docker.image.rootfs.diff.tar.gzip");
  }

  @Test
  void multilayerKeepsGzipZstdAndUncompressedLayersAndTheirDiffIds() throws Exception {
    String repo = FixtureImages.MULTILAYER_REPO;
    JsonNode manifest = JSON.readTree(get(registry, "/v2/" + repo + "/manifests/" + FixtureImages.TAG, null).body());
    List<String> mediaTypes = new ArrayList<>();
    manifest.get("layers").forEach(l -> mediaTypes.add(l.get("mediaType").asString()));
    assertThat(mediaTypes).containsExactly(
        "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.layer.v1.tar+zstd",
        "application/vnd.oci.image.layer.v1.tar");

    JsonNode config = JSON.readTree(blob(repo, manifest.get("config").get("digest").asString()));
    for (int i = 0; i < 3; i++) {
      byte[] stored = blob(repo, manifest.get("layers").get(i).get("digest").asString());
      assertThat(OciLayout.digest(stored)).isEqualTo(manifest.get("layers").get(i).get("digest").asString());
      byte[] tar = switch (i) {
        case 0 -> new GZIPInputStream(new ByteArrayInputStream(stored)).readAllBytes();
        case 1 -> unzstd(stored);
        default -> stored;
      };
      assertThat(new String(tar, 257, 5, StandardCharsets.US_ASCII)).isEqualTo("ustar");
      assertThat(OciLayout.digest(tar)).isEqualTo(config.get("rootfs").get("diff_ids").get(i).asString());
    }
  }

  @Test
  void multiarchIsAnIndexOfTwoPlatformsInBothFormats() throws Exception {
    HttpResponse<byte[]> oci =
        get(registry, "/v2/" + FixtureImages.MULTIARCH_REPO + "/manifests/" + FixtureImages.TAG, null);
    assertThat(oci.headers().firstValue("Content-Type")).hasValue(OciLayout.INDEX);
    assertThat(platforms(JSON.readTree(oci.body()))).containsExactly("linux/amd64", "linux/arm64/v8");

    HttpResponse<byte[]> docker =
        get(registry, "/v2/" + FixtureImages.MULTIARCH_DOCKER_REPO + "/manifests/" + FixtureImages.TAG, null);
    assertThat(docker.headers().firstValue("Content-Type"))
        .hasValue("application/vnd.docker.distribution.manifest.list.v2+json");
    assertThat(platforms(JSON.readTree(docker.body()))).containsExactly("linux/amd64", "linux/arm64/v8");
  }

  @Test
  void basicAuthRegistryRefusesAnonymousAndAcceptsItsUser() throws Exception {
    try (Registry secured = Registry.startWithBasicAuth(work.resolve("secured"), "berth", "s3cret-pass")) {
      assertThat(get(secured, "/v2/", null).statusCode()).isEqualTo(401);
      String wrong = "Basic " + Base64.getEncoder().encodeToString("berth:wrong".getBytes());
      assertThat(get(secured, "/v2/", wrong).statusCode()).isEqualTo(401);
      assertThat(get(secured, "/v2/", secured.basicAuthHeader()).statusCode()).isEqualTo(200);

      secured.push(FixtureImages.get().layout(), FixtureImages.BUSYBOX, "private/busybox:1.0", Registry.Format.OCI);
      assertThat(get(secured, "/v2/private/busybox/manifests/1.0", null).statusCode()).isEqualTo(401);
      assertThat(get(secured, "/v2/private/busybox/manifests/1.0", secured.basicAuthHeader()).statusCode())
          .isEqualTo(200);
    }
  }

  @Test
  void fixturesAreCachedByContent() {
    Path first = FixtureImages.get().layout();
    assertThat(first.getFileName().toString()).matches("[0-9a-f]{16}");
    assertThat(first.resolve("index.json")).exists();
  }

  private static List<String> platforms(JsonNode index) {
    List<String> platforms = new ArrayList<>();
    index.get("manifests").forEach(m -> {
      JsonNode p = m.get("platform");
      platforms.add(p.get("os").asString() + "/" + p.get("architecture").asString()
          + (p.has("variant") ? "/" + p.get("variant").asString() : ""));
    });
    return platforms;
  }

  private static byte[] blob(String repo, String digest) throws Exception {
    HttpResponse<byte[]> response = get(registry, "/v2/" + repo + "/blobs/" + digest, null);
    assertThat(response.statusCode()).as("GET blob %s", digest).isEqualTo(200);
    return response.body();
  }

  private static HttpResponse<byte[]> get(Registry target, String path, String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(target.baseUrl() + path)).header("Accept", ACCEPT);
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static byte[] unzstd(byte[] compressed) {
    return Commands.run(List.of("zstd", "-d", "-q", "-c"), compressed, 60).stdout()
        .getBytes(StandardCharsets.ISO_8859_1);
  }
}
