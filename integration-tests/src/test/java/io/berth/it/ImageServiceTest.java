package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthHome;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.Commands;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.DiskState;
import io.berth.it.harness.Registry;
import io.berth.it.harness.RegistryProxy;
import io.berth.proto.runtime.v1.AuthConfig;
import io.berth.proto.runtime.v1.Image;
import io.berth.proto.runtime.v1.ImageFsInfoResponse;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.ImageStatusResponse;
import io.berth.proto.runtime.v1.PullImageRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ImageService over berthd's socket against a real registry with the fixture images. */
class ImageServiceTest {
  @TempDir static Path shared;
  static Registry registry;

  @TempDir Path work;

  @BeforeAll
  static void pushFixtures() {
    registry = Registry.start(shared.resolve("registry"));
    FixtureImages.get().pushAll(registry);
  }

  @AfterAll
  static void stopRegistry() {
    registry.close();
  }

  static String ref(String repository) {
    return registry.host() + "/" + repository + ":" + FixtureImages.TAG;
  }

  @Test
  void pullsOciDockerAndIndexImagesAndReportsThem() {
    try (BerthdProcess berthd = BerthdProcess.start(work, "")) {
      String busybox = CriCalls.pull(berthd.client(), ref(FixtureImages.BUSYBOX_REPO));
      String docker = CriCalls.pull(berthd.client(), ref(FixtureImages.BUSYBOX_DOCKER_REPO));
      String multiarch = CriCalls.pull(berthd.client(), ref(FixtureImages.MULTIARCH_REPO));
      String multilayer = CriCalls.pull(berthd.client(), ref(FixtureImages.MULTILAYER_REPO));
      // The same config is the same image, whatever manifest format or index led to it.
      assertThat(docker).isEqualTo(busybox);
      assertThat(multiarch).as("the index's linux/amd64 entry is the busybox image").isEqualTo(busybox);
      assertThat(multilayer).startsWith("sha256:").isNotEqualTo(busybox);

      ImageStatusResponse status = CriCalls.status(berthd.client(), ref(FixtureImages.BUSYBOX_REPO), true);
      Image image = status.getImage();
      assertThat(image.getId()).isEqualTo(busybox);
      assertThat(image.getRepoTagsList()).containsExactlyInAnyOrder(
          ref(FixtureImages.BUSYBOX_REPO), ref(FixtureImages.BUSYBOX_DOCKER_REPO), ref(FixtureImages.MULTIARCH_REPO));
      assertThat(image.getRepoDigestsList()).hasSize(3).allMatch(d -> d.contains("@sha256:"));
      assertThat(image.getSize()).isGreaterThan(500_000);
      assertThat(status.getInfoMap().get("info")).contains("\"Cmd\":[\"/bin/sh\"]").contains("chainIds");

      // Found by ID, by a unique ID prefix and by repo digest, too.
      assertThat(CriCalls.status(berthd.client(), busybox, false).getImage().getId()).isEqualTo(busybox);
      assertThat(CriCalls.status(berthd.client(), busybox.substring(7, 19), false).getImage().getId())
          .isEqualTo(busybox);
      assertThat(CriCalls.status(berthd.client(), image.getRepoDigests(0), false).getImage().getId())
          .isEqualTo(busybox);

      assertThat(CriCalls.list(berthd.client())).extracting(Image::getId)
          .containsExactlyInAnyOrder(busybox, multilayer);
      assertThat(CriCalls.list(berthd.client(), ref(FixtureImages.MULTILAYER_REPO))).extracting(Image::getId)
          .containsExactly(multilayer);
    }
  }

  @Test
  void absentImageIsAnEmptyStatusNotAnError() {
    try (BerthdProcess berthd = BerthdProcess.start(work, "")) {
      assertThat(CriCalls.status(berthd.client(), "docker.io/library/never-pulled:1", false).hasImage()).isFalse();
      assertThat(CriCalls.list(berthd.client())).isEmpty();
      // A pull for a runtime handler the node lacks is refused before the registry is asked.
      assertThatThrownBy(() -> berthd.client().images(10_000).pullImage(PullImageRequest.newBuilder()
          .setImage(ImageSpec.newBuilder().setImage("docker.io/library/never-pulled:1").setRuntimeHandler("kata"))
          .build()))
          .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode())
              .isEqualTo(Status.Code.INVALID_ARGUMENT))
          .hasMessageContaining("'kata' is not configured");
    }
  }

  @Test
  void imagesSurviveARestart() {
    String id;
    try (BerthdProcess berthd = BerthdProcess.start(work, "")) {
      id = CriCalls.pull(berthd.client(), ref(FixtureImages.MULTILAYER_REPO));
    }
    try (BerthdProcess berthd = BerthdProcess.start(work, "")) {
      assertThat(CriCalls.status(berthd.client(), ref(FixtureImages.MULTILAYER_REPO), false).getImage().getId())
          .isEqualTo(id);
    }
  }

  @Test
  void removeByTagByIdIsIdempotentAndCollectsOnlyUnsharedContent() {
    try (BerthdProcess berthd = BerthdProcess.start(work, "")) {
      String busybox = CriCalls.pull(berthd.client(), ref(FixtureImages.BUSYBOX_REPO));
      CriCalls.pull(berthd.client(), ref(FixtureImages.MULTIARCH_REPO)); // a second tag on the same image
      String plus = CriCalls.pull(berthd.client(), ref(FixtureImages.BUSYBOX_PLUS_REPO));
      long snapshotsWithBoth = snapshotCount(berthd);
      assertThat(snapshotsWithBoth).isEqualTo(2); // busybox's layer is shared, stored once

      CriCalls.remove(berthd.client(), ref(FixtureImages.MULTIARCH_REPO));
      assertThat(CriCalls.status(berthd.client(), busybox, false).getImage().getRepoTagsList())
          .containsExactly(ref(FixtureImages.BUSYBOX_REPO));

      CriCalls.remove(berthd.client(), plus);
      assertThat(CriCalls.status(berthd.client(), plus, false).hasImage()).isFalse();
      assertThat(snapshotCount(berthd)).as("plus's own layer is gone, the shared one stays").isEqualTo(1);
      CriCalls.remove(berthd.client(), plus); // idempotent

      CriCalls.remove(berthd.client(), ref(FixtureImages.BUSYBOX_REPO));
      assertThat(CriCalls.list(berthd.client())).isEmpty();
      assertThat(DiskState.of(berthd.rootDir())).isEmpty();
    }
  }

  @Test
  void imageFsInfoFollowsPullsAndRemovals() {
    try (BerthdProcess berthd = BerthdProcess.start(work, "")) {
      ImageFsInfoResponse empty = CriCalls.fsInfo(berthd.client());
      assertThat(empty.getImageFilesystems(0).getUsedBytes().getValue()).isZero();
      assertThat(empty.getImageFilesystems(0).getFsId().getMountpoint()).isEqualTo(berthd.rootDir().toString());
      String id = CriCalls.pull(berthd.client(), ref(FixtureImages.BUSYBOX_REPO));
      ImageFsInfoResponse full = CriCalls.fsInfo(berthd.client());
      // The blobs (about 1 MB compressed) plus the unpacked busybox (about 2 MB).
      assertThat(full.getImageFilesystems(0).getUsedBytes().getValue()).isGreaterThan(2_000_000);
      assertThat(full.getImageFilesystems(0).getInodesUsed().getValue()).isGreaterThan(100);
      CriCalls.remove(berthd.client(), id);
      assertThat(CriCalls.fsInfo(berthd.client()).getImageFilesystems(0).getUsedBytes().getValue()).isZero();
    }
  }

  @Test
  void mirrorServesAnUpstreamAndAnUnchangedManifestCostsOneRequest() throws Exception {
    try (RegistryProxy mirror = new RegistryProxy(registry)) {
      Path hosts = Files.createDirectories(work.resolve("certs.d/registry.example.test"));
      Files.writeString(hosts.resolve("hosts.toml"), """
          server = "https://registry.example.test"
          [host."http://%s"]
            capabilities = ["pull", "resolve"]
          """.formatted(mirror.host()));
      String config = "[registry]\nconfig_path = \"" + work.resolve("certs.d") + "\"\n";
      try (BerthdProcess berthd = BerthdProcess.start(work.resolve("berthd"), config)) {
        String image = "registry.example.test/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
        String id = CriCalls.pull(berthd.client(), image);
        assertThat(CriCalls.status(berthd.client(), image, false).getImage().getId()).isEqualTo(id);

        mirror.forgetRequests();
        assertThat(CriCalls.pull(berthd.client(), image)).isEqualTo(id);
        assertThat(mirror.requests()).hasSize(1);
        assertThat(mirror.requests().getFirst().method()).as("no GET: nothing counted against rate limits")
            .isEqualTo("HEAD");
        assertThat(mirror.requests().getFirst().path()).contains("/manifests/");
      }
    }
  }

  @Test
  void defaultCredentialsFromTheConfigAreUsed() throws Exception {
    try (Registry secured = Registry.startWithBasicAuth(work.resolve("secured"), "tester", "s3cret")) {
      secured.push(FixtureImages.get().layout(), FixtureImages.BUSYBOX, "private/busybox:1.0", Registry.Format.OCI);
      String config = "[registry.auths.\"" + secured.host() + "\"]\nusername = \"tester\"\npassword = \"s3cret\"\n";
      try (BerthdProcess berthd = BerthdProcess.start(work.resolve("berthd"), config)) {
        assertThat(CriCalls.pull(berthd.client(), secured.host() + "/private/busybox:1.0")).startsWith("sha256:");
      }
    }
  }

  @Test
  void concurrentPullsOfOneImageShareOneTransfer() throws Exception {
    try (RegistryProxy mirror = new RegistryProxy(registry)) {
      Path hosts = Files.createDirectories(work.resolve("certs.d/" + registry.host()));
      Files.writeString(hosts.resolve("hosts.toml"), "[host.\"http://" + mirror.host() + "\"]\n");
      String config = "[registry]\nconfig_path = \"" + work.resolve("certs.d") + "\"\n";
      try (BerthdProcess berthd = BerthdProcess.start(work.resolve("berthd"), config)) {
        ExecutorService pool = Executors.newFixedThreadPool(5);
        List<Future<String>> pulls = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          pulls.add(pool.submit(() -> CriCalls.pull(berthd.client(), ref(FixtureImages.MULTILAYER_REPO))));
        }
        List<String> ids = new ArrayList<>();
        for (Future<String> pull : pulls) {
          ids.add(pull.get());
        }
        pool.shutdown();
        assertThat(ids).containsOnly(ids.getFirst());
        long layerFetches = mirror.requests().stream().filter(r -> r.path().contains("/blobs/")).count();
        assertThat(layerFetches).as("config + 3 layers, each fetched once").isLessThanOrEqualTo(4);
      }
    }
  }

  @Test
  void berthctlImageCommands() {
    try (BerthdProcess berthd = BerthdProcess.start(work, "")) {
      String endpoint = "unix://" + berthd.socket();
      String ctl = BerthHome.berthctl().toString();
      String image = ref(FixtureImages.BUSYBOX_REPO);
      String pulled = Commands.runOrFail(ctl, "-r", endpoint, "pull", image).stdout();
      assertThat(pulled).contains("sha256:");
      String images = Commands.runOrFail(ctl, "-r", endpoint, "images").stdout();
      assertThat(images).contains("IMAGE").contains(registry.host() + "/" + FixtureImages.BUSYBOX_REPO)
          .contains(FixtureImages.TAG);
      String inspect = Commands.runOrFail(ctl, "-r", endpoint, "inspecti", image).stdout();
      assertThat(inspect).contains("\"repoTags\"").contains("\"imageSpec\"").contains("/bin/sh");
      String fs = Commands.runOrFail(ctl, "-r", endpoint, "imagefsinfo").stdout();
      assertThat(fs).contains("imageFilesystems").contains(berthd.rootDir().toString());
      Commands.runOrFail(ctl, "-r", endpoint, "rmi", image);
      assertThat(CriCalls.list(berthd.client())).isEmpty();
      var denied = Commands.run(List.of(ctl, "-r", endpoint, "pull", "--creds", "a:b",
          registry.host() + "/no/such:1"));
      assertThat(denied.exitCode()).isNotZero();
      assertThat(denied.stderr()).contains("NOT_FOUND");
    }
  }

  @Test
  void bearerTokenAuthIsFetchedOncePerScopeAndRedirectsDropTheAuthorization() throws Exception {
    try (RegistryProxy auth = new RegistryProxy(registry); RegistryProxy blobHost = new RegistryProxy(registry)) {
      auth.requireBearer("secret-token", "tester", "s3cret");
      auth.redirectBlobsTo("http://" + blobHost.host());
      try (BerthdProcess berthd = BerthdProcess.start(work, "")) {
        String image = auth.host() + "/" + FixtureImages.MULTILAYER_REPO + ":" + FixtureImages.TAG;
        assertThatThrownBy(() -> CriCalls.pull(berthd.client(), image))
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
        var creds = AuthConfig.newBuilder().setUsername("tester").setPassword("s3cret").build();
        String id = CriCalls.pull(berthd.client(), image, creds);
        assertThat(id).startsWith("sha256:");

        long tokenFetches = auth.requests().stream()
            .filter(r -> r.path().startsWith("/token") && r.authorization() != null).count();
        assertThat(tokenFetches).as("one token for the scope, then cached").isEqualTo(1);
        assertThat(auth.requests()).filteredOn(r -> r.path().contains("/blobs/"))
            .isNotEmpty()
            .allMatch(r -> "Bearer secret-token".equals(r.authorization()));
        // Blobs were served by the redirect target, which never saw the token.
        assertThat(blobHost.requests()).isNotEmpty().allMatch(r -> r.authorization() == null);
      }
    }
  }

  private static long snapshotCount(BerthdProcess berthd) {
    return DiskState.of(berthd.rootDir()).stream().filter(p -> p.startsWith("snapshots/")).count();
  }
}
