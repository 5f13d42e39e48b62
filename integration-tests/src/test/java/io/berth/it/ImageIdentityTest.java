package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.cri.client.CriClient;
import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.HostTraces;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.Container;
import io.berth.proto.runtime.v1.ContainerFilter;
import io.berth.proto.runtime.v1.ContainerStatus;
import io.berth.proto.runtime.v1.Image;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.ListContainersRequest;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.StreamImagesRequest;
import io.berth.proto.state.v1.ContainerRecord;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image identity (KEP-2535) against a real berthd: the string PullImage returns is Image.id
 * (ListImages, StreamImages, ImageStatus by reference and by ID), Container.image_id and
 * ContainerStatus.image_id, for an image pulled by tag and one pulled by digest, and still after
 * berthd restarts; ContainerStatus.image_ref is the digested reference in the repository the pod
 * named (an image in two repositories has two); the ImageSpec the kubelet sent (its image ID,
 * user_specified_image, runtime_handler), or crictl's bare reference, comes back unchanged in
 * Container.image and ContainerStatus.image, read from the persisted record.
 */
class ImageIdentityTest {
  @TempDir Path work;

  record Pulled(String reference, String id, String digested) {}

  @Test
  void oneIdFromPullToContainerStatusAndTheSpecAsSentAlsoAfterARestart() throws Exception {
    try (Registry registry = Registry.start(work.resolve("registry"))) {
      FixtureImages.get().pushAll(registry);
      String tagged = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
      String byDigest = registry.host() + "/" + FixtureImages.BUSYBOX_PLUS_REPO + "@"
          + manifestDigest(registry, FixtureImages.BUSYBOX_PLUS_REPO);
      Path berthdDir = work.resolve("berthd");

      List<Pulled> images = new ArrayList<>();
      List<String> containers = new ArrayList<>();
      List<ImageSpec> sent = new ArrayList<>();
      try (BerthdProcess first = BerthdProcess.start(berthdDir, "")) {
        CriClient client = first.client();
        try {
          String tagId = CriCalls.pull(client, tagged);
          String digestId = CriCalls.pull(client, byDigest);
          assertThat(tagId).startsWith("sha256:").isNotEqualTo(digestId);
          assertThat(digestId).startsWith("sha256:");
          Image digestImage = CriCalls.status(client, byDigest, false).getImage();
          assertThat(digestImage.getRepoTagsList()).as("pulled by digest only").isEmpty();
          assertThat(digestImage.getRepoDigestsList()).containsExactly(byDigest);
          // The same image under a second repository: two repo digests, one ID.
          String otherRepo = registry.host() + "/" + FixtureImages.BUSYBOX_DOCKER_REPO + ":" + FixtureImages.TAG;
          assertThat(CriCalls.pull(client, otherRepo)).isEqualTo(tagId);
          List<String> busyboxDigests = CriCalls.status(client, tagged, false).getImage().getRepoDigestsList();
          assertThat(busyboxDigests).hasSize(2);
          images.add(new Pulled(tagged, tagId, inRepository(busyboxDigests, FixtureImages.BUSYBOX_REPO)));
          images.add(new Pulled(otherRepo, tagId, inRepository(busyboxDigests, FixtureImages.BUSYBOX_DOCKER_REPO)));
          images.add(new Pulled(byDigest, digestId, byDigest));
          // As crictl and critest send it: the reference itself, no ID.
          images.add(new Pulled(tagged, tagId, inRepository(busyboxDigests, FixtureImages.BUSYBOX_REPO)));
          assertImages(client, images);

          PodSandboxConfig podConfig = Pods.podConfig("identity", work.resolve("logs")).build();
          String pod = Pods.runPod(client, podConfig);
          for (Pulled image : images) {
            // As the kubelet sends it: the ID PullImage returned, the pod spec's reference, the handler.
            ImageSpec spec = containers.size() == 3 ? ImageSpec.newBuilder().setImage(image.reference()).build()
                : ImageSpec.newBuilder().setImage(image.id()).setUserSpecifiedImage(image.reference())
                    .setRuntimeHandler("runc").putAnnotations("berth.test/image", "kept").build();
            sent.add(spec);
            containers.add(Pods.create(client, pod, podConfig, Pods.containerConfig("c" + containers.size(),
                tagged, "sleep", "600").setImage(spec).build()));
          }
          Pods.start(client, containers.get(0));
          assertContainers(client, images, containers, sent);
        } catch (RuntimeException | Error e) {
          Pods.removeAll(client); // nothing left behind for the next test
          throw e;
        }
      }

      try (BerthdProcess second = BerthdProcess.start(berthdDir, "")) {
        CriClient client = second.client();
        try {
          assertImages(client, images);
          assertContainers(client, images, containers, sent);
          for (int i = 0; i < containers.size(); i++) {
            var record = ContainerRecord.parseFrom(Files.readAllBytes(
                second.rootDir().resolve("containers").resolve(containers.get(i) + ".pb")));
            assertThat(record.getConfig().getImage()).as("the persisted record").isEqualTo(sent.get(i));
            assertThat(record.getImageId()).isEqualTo(images.get(i).id());
          }
          for (Pulled image : images) {
            assertThat(CriCalls.pull(client, image.reference())).as("pulled again").isEqualTo(image.id());
          }
          assertImages(client, images);
        } finally {
          Pods.removeAll(client);
        }
        assertThat(HostTraces.of(second)).isEmpty();
      }
    }
  }

  /** Every image is found under its one ID by ListImages, StreamImages and ImageStatus. */
  private static void assertImages(CriClient client, List<Pulled> images) {
    List<String> ids = images.stream().map(Pulled::id).distinct().toList();
    assertThat(CriCalls.list(client)).extracting(Image::getId).containsExactlyInAnyOrderElementsOf(ids);
    List<String> streamed = new ArrayList<>();
    client.images(30_000).streamImages(StreamImagesRequest.getDefaultInstance())
        .forEachRemaining(r -> r.getImagesList().forEach(i -> streamed.add(i.getId())));
    assertThat(streamed).containsExactlyInAnyOrderElementsOf(ids);
    for (Pulled image : images) {
      assertThat(CriCalls.status(client, image.reference(), false).getImage().getId()).isEqualTo(image.id());
      assertThat(CriCalls.status(client, image.id(), false).getImage().getId()).isEqualTo(image.id());
      assertThat(CriCalls.list(client, image.reference())).extracting(Image::getId).containsExactly(image.id());
    }
  }

  private static void assertContainers(CriClient client, List<Pulled> images, List<String> containers,
      List<ImageSpec> sent) {
    for (int i = 0; i < containers.size(); i++) {
      Pulled image = images.get(i);
      Container listed = client.runtime(30_000).listContainers(ListContainersRequest.newBuilder()
          .setFilter(ContainerFilter.newBuilder().setId(containers.get(i))).build()).getContainers(0);
      assertThat(listed.getImage()).as("Container.image as sent").isEqualTo(sent.get(i));
      assertThat(listed.getImageId()).isEqualTo(image.id());
      assertThat(listed.getImageRef()).isEqualTo(image.digested());
      ContainerStatus status = Pods.status(client, containers.get(i));
      assertThat(status.getImage()).as("ContainerStatus.image as sent").isEqualTo(sent.get(i));
      assertThat(status.getImageId()).isEqualTo(image.id());
      assertThat(status.getImageRef()).as("the digested reference in the pod's repository")
          .isEqualTo(image.digested());
    }
  }

  private static String inRepository(List<String> repoDigests, String repository) {
    return repoDigests.stream().filter(d -> d.contains("/" + repository + "@")).findFirst().orElseThrow();
  }

  /** The manifest digest the registry serves for {@code repository}'s fixture tag. */
  private static String manifestDigest(Registry registry, String repository) throws Exception {
    HttpRequest head = HttpRequest.newBuilder(URI.create(registry.baseUrl() + "/v2/" + repository + "/manifests/"
            + FixtureImages.TAG))
        .method("HEAD", HttpRequest.BodyPublishers.noBody())
        .header("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json")
        .timeout(Duration.ofSeconds(10)).build();
    HttpResponse<Void> response = HttpClient.newHttpClient().send(head, HttpResponse.BodyHandlers.discarding());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.headers().firstValue("Docker-Content-Digest").orElseThrow();
  }
}
