package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Message;
import io.berth.cri.client.CriClient;
import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.HostTraces;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.Container;
import io.berth.proto.runtime.v1.ContainerFilter;
import io.berth.proto.runtime.v1.ContainerState;
import io.berth.proto.runtime.v1.ContainerStateValue;
import io.berth.proto.runtime.v1.ContainerStatsFilter;
import io.berth.proto.runtime.v1.Image;
import io.berth.proto.runtime.v1.ImageFilter;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.ListContainerStatsRequest;
import io.berth.proto.runtime.v1.ListContainersRequest;
import io.berth.proto.runtime.v1.ListImagesRequest;
import io.berth.proto.runtime.v1.ListPodSandboxMetricsRequest;
import io.berth.proto.runtime.v1.ListPodSandboxRequest;
import io.berth.proto.runtime.v1.ListPodSandboxStatsRequest;
import io.berth.proto.runtime.v1.PodSandbox;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PodSandboxFilter;
import io.berth.proto.runtime.v1.PodSandboxState;
import io.berth.proto.runtime.v1.PodSandboxStateValue;
import io.berth.proto.runtime.v1.PodSandboxStatsFilter;
import io.berth.proto.runtime.v1.RemovePodSandboxRequest;
import io.berth.proto.runtime.v1.StreamContainerStatsRequest;
import io.berth.proto.runtime.v1.StreamContainersRequest;
import io.berth.proto.runtime.v1.StreamContainersResponse;
import io.berth.proto.runtime.v1.StreamImagesRequest;
import io.berth.proto.runtime.v1.StreamPodSandboxMetricsRequest;
import io.berth.proto.runtime.v1.StreamPodSandboxStatsRequest;
import io.berth.proto.runtime.v1.StreamPodSandboxesRequest;
import io.grpc.Context;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Stream* twins of the List* RPCs (KEP-5825) against a real berthd with many containers:
 * each stream sends exactly the objects its unary twin answers, filters included, in messages
 * of 1 to 100 objects, each object once; a client that cancels mid-stream stops berthd's
 * sending. The containers are created, not started (runc create under conmon, as the kubelet
 * creates them): a few are started so that the state filters have something to tell apart.
 */
class ListStreamingTest {
  /** Containers to create: 200; 1,000 take 3.5 minutes here to create and remove (-Dberth.it.streamContainers=N). */
  static final int CONTAINERS = Integer.getInteger("berth.it.streamContainers", 200);
  static final int PODS = 4;
  static final long TIMEOUT = 120_000;

  @TempDir Path work;

  @Test
  void streamsSendWhatTheUnaryListsAnswerOnceEachWithFiltersAndStopWhenCancelled() throws Exception {
    try (Registry registry = Registry.start(work.resolve("registry"));
        BerthdProcess berthd = BerthdProcess.start(work.resolve("berthd"), "")) {
      FixtureImages.get().pushAll(registry);
      String image = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
      CriCalls.pull(berthd.client(), image);
      CriClient client = berthd.client();

      List<String> pods = new ArrayList<>();
      try {
        check(berthd, client, image, pods);
      } finally {
        long removing = System.nanoTime();
        removePods(client, pods);
        System.out.printf("ListStreamingTest: %d pods with their containers removed in %d ms%n", pods.size(),
            (System.nanoTime() - removing) / 1_000_000);
      }
      assertThat(HostTraces.of(berthd)).isEmpty();
    }
  }

  private void check(BerthdProcess berthd, CriClient client, String image, List<String> pods) throws Exception {
    List<PodSandboxConfig> podConfigs = new ArrayList<>();
    for (int p = 0; p < PODS; p++) {
      var config = Pods.perContainerPid(Pods.podConfig("list-" + p, work.resolve("logs")))
          .putLabels("parity", p % 2 == 0 ? "even" : "odd").build();
      podConfigs.add(config);
      pods.add(Pods.runPod(client, config));
    }
    long started = System.nanoTime();
    List<String> ids = createContainers(client, pods, podConfigs, image);
    long createMillis = (System.nanoTime() - started) / 1_000_000;
    System.out.printf("ListStreamingTest: %d containers created in %d ms (%.1f ms each)%n", CONTAINERS,
        createMillis, (double) createMillis / CONTAINERS);
    // Three running: the state filters have two states to tell apart.
    Pods.start(client, ids.get(0));
    Pods.start(client, ids.get(1));
    Pods.start(client, ids.get(2));

    assertContainers(client, ContainerFilter.getDefaultInstance(), CONTAINERS);
    assertContainers(client, state(ContainerState.CONTAINER_CREATED), CONTAINERS - 3);
    assertContainers(client, state(ContainerState.CONTAINER_RUNNING), 3);
    assertContainers(client, ContainerFilter.newBuilder().setPodSandboxId(pods.get(1)).build(), CONTAINERS / PODS);
    assertContainers(client, ContainerFilter.newBuilder().putLabelSelector("tier", "b").build(), -1);
    assertContainers(client, ContainerFilter.newBuilder().setPodSandboxId(pods.get(2)).putLabelSelector("tier", "c")
        .setState(ContainerStateValue.newBuilder().setState(ContainerState.CONTAINER_CREATED)).build(), -1);
    assertContainers(client, ContainerFilter.newBuilder().setId("no-such-container").build(), 0);

    assertPods(client, PodSandboxFilter.getDefaultInstance(), PODS);
    assertPods(client, PodSandboxFilter.newBuilder().putLabelSelector("parity", "odd").build(), PODS / 2);
    assertPods(client, PodSandboxFilter.newBuilder()
        .setState(PodSandboxStateValue.newBuilder().setState(PodSandboxState.SANDBOX_NOTREADY)).build(), 0);

    // Usage numbers move between two calls: the same objects, compared by ID.
    assertSameIds(
        client.runtime(TIMEOUT).listContainerStats(ListContainerStatsRequest.getDefaultInstance()).getStatsList(),
        streamed(client.runtime(TIMEOUT).streamContainerStats(StreamContainerStatsRequest.getDefaultInstance()),
            r -> r.getContainerStatsList()), s -> s.getAttributes().getId(), CONTAINERS);
    var statsFilter = ContainerStatsFilter.newBuilder().setPodSandboxId(pods.get(3)).putLabelSelector("tier", "a")
        .build();
    assertSameIds(client.runtime(TIMEOUT).listContainerStats(ListContainerStatsRequest.newBuilder()
            .setFilter(statsFilter).build()).getStatsList(),
        streamed(client.runtime(TIMEOUT).streamContainerStats(StreamContainerStatsRequest.newBuilder()
            .setFilter(statsFilter).build()), r -> r.getContainerStatsList()), s -> s.getAttributes().getId(), -1);
    var podStatsFilter = PodSandboxStatsFilter.newBuilder().putLabelSelector("parity", "even").build();
    assertSameIds(client.runtime(TIMEOUT).listPodSandboxStats(ListPodSandboxStatsRequest.newBuilder()
            .setFilter(podStatsFilter).build()).getStatsList(),
        streamed(client.runtime(TIMEOUT).streamPodSandboxStats(StreamPodSandboxStatsRequest.newBuilder()
            .setFilter(podStatsFilter).build()), r -> r.getPodSandboxStatsList()),
        s -> s.getAttributes().getId(), PODS / 2);
    assertSameIds(client.runtime(TIMEOUT).listPodSandboxMetrics(ListPodSandboxMetricsRequest.getDefaultInstance())
            .getPodMetricsList(),
        streamed(client.runtime(TIMEOUT).streamPodSandboxMetrics(StreamPodSandboxMetricsRequest.getDefaultInstance()),
            r -> r.getPodSandboxMetricsList()),
        m -> m.getPodSandboxId() + " " + m.getContainerMetricsList().stream().map(c -> c.getContainerId()).sorted()
            .toList(), PODS);

    assertImages(client, ImageFilter.getDefaultInstance(), 1);
    assertImages(client, ImageFilter.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build(), 1);
    assertImages(client, ImageFilter.newBuilder().setImage(ImageSpec.newBuilder().setImage("absent:1")).build(), 0);

    cancelAfterTheFirstMessage(berthd, client);
  }

  /**
   * Creates {@link #CONTAINERS} containers over the pods, four at a time, each with the kubelet's
   * annotations and a padding annotation that brings the list to about 12 MiB (under the 16 MiB a
   * unary answer may have): 1,000 make ten messages of 100, 200 four of about 4 MiB, so a client
   * that reads one message leaves messages unsent either way.
   */
  private static List<String> createContainers(CriClient client, List<String> pods, List<PodSandboxConfig> configs,
      String image) throws Exception {
    String padding = "p".repeat(12 * 1024 * 1024 / CONTAINERS);
    ExecutorService creators = Executors.newFixedThreadPool(4);
    try {
      List<Future<String>> created = new ArrayList<>();
      for (int i = 0; i < CONTAINERS; i++) {
        int n = i;
        int pod = i % pods.size();
        created.add(creators.submit(() -> Pods.create(client, pods.get(pod), configs.get(pod),
            Pods.containerConfig("c" + n, image, "sleep", "600")
                .putLabels("tier", List.of("a", "b", "c").get(n % 3))
                .putAnnotations("io.kubernetes.container.hash", Integer.toHexString(n * 7919))
                .putAnnotations("io.kubernetes.container.restartCount", "0")
                .putAnnotations("io.kubernetes.container.terminationMessagePath", "/dev/termination-log")
                .putAnnotations("io.kubernetes.container.terminationMessagePolicy", "File")
                .putAnnotations("berth.test/padding", padding).build())));
      }
      List<String> ids = new ArrayList<>();
      for (Future<String> f : created) {
        ids.add(f.get());
      }
      return ids;
    } finally {
      creators.shutdownNow();
    }
  }

  private static ContainerFilter state(ContainerState state) {
    return ContainerFilter.newBuilder().setState(ContainerStateValue.newBuilder().setState(state)).build();
  }

  /** Every message of a stream, checked: 1 to 100 objects each; the objects in order received. */
  private static <R, T> List<T> streamed(Iterator<R> stream, Function<R, List<T>> items) {
    List<T> all = new ArrayList<>();
    stream.forEachRemaining(message -> {
      assertThat(items.apply(message)).as("a message holds 1 to 100 objects").hasSizeBetween(1, 100);
      all.addAll(items.apply(message));
    });
    return all;
  }

  /** The stream sends the unary answer's objects, equal, each once ({@code expected} < 0: any number). */
  private static <T extends Message> void assertSameObjects(List<T> unary, List<T> stream,
      Function<T, String> id, int expected) {
    if (expected >= 0) {
      assertThat(unary).hasSize(expected);
    }
    assertThat(stream.stream().map(id).toList()).as("each object once").doesNotHaveDuplicates();
    assertThat(stream).as("the unary answer's objects").hasSameSizeAs(unary);
    Map<String, T> byId = new HashMap<>();
    unary.forEach(o -> byId.put(id.apply(o), o));
    for (T o : stream) {
      assertThat(o).isEqualTo(byId.get(id.apply(o)));
    }
  }

  private static <T> void assertSameIds(List<T> unary, List<T> stream, Function<T, String> id, int expected) {
    if (expected >= 0) {
      assertThat(unary).hasSize(expected);
    }
    List<String> streamedIds = stream.stream().map(id).toList();
    assertThat(streamedIds).as("each object once").doesNotHaveDuplicates();
    assertThat(streamedIds).containsExactlyInAnyOrderElementsOf(unary.stream().map(id).toList());
  }

  private static void assertContainers(CriClient client, ContainerFilter filter, int expected) {
    List<Container> unary = client.runtime(TIMEOUT).listContainers(ListContainersRequest.newBuilder()
        .setFilter(filter).build()).getContainersList();
    List<Container> stream = streamed(client.runtime(TIMEOUT).streamContainers(StreamContainersRequest.newBuilder()
        .setFilter(filter).build()), StreamContainersResponse::getContainersList);
    assertSameObjects(unary, stream, Container::getId, expected);
    if (expected < 0) {
      assertThat(unary).as("filter " + filter).isNotEmpty();
    }
  }

  private static void assertPods(CriClient client, PodSandboxFilter filter, int expected) {
    List<PodSandbox> unary = client.runtime(TIMEOUT).listPodSandbox(ListPodSandboxRequest.newBuilder()
        .setFilter(filter).build()).getItemsList();
    List<PodSandbox> stream = streamed(client.runtime(TIMEOUT).streamPodSandboxes(StreamPodSandboxesRequest
        .newBuilder().setFilter(filter).build()), r -> r.getPodSandboxesList());
    assertSameObjects(unary, stream, PodSandbox::getId, expected);
  }

  private static void assertImages(CriClient client, ImageFilter filter, int expected) {
    List<Image> unary = client.images(TIMEOUT).listImages(ListImagesRequest.newBuilder().setFilter(filter).build())
        .getImagesList();
    List<Image> stream = streamed(client.images(TIMEOUT).streamImages(StreamImagesRequest.newBuilder()
        .setFilter(filter).build()), r -> r.getImagesList());
    assertSameObjects(unary, stream, Image::getId, expected);
  }

  /**
   * Reads one message of StreamContainers over a client that lets 64 KiB wait unread, and cancels:
   * berthd, which sends only as the client reads, stops with objects unsent (it logs how many it
   * sent) and serves the next stream whole.
   */
  private static void cancelAfterTheFirstMessage(BerthdProcess berthd, CriClient client) throws Exception {
    List<Container> first;
    try (CriClient slow = CriClient.connect("unix://" + berthd.socket(), 64 * 1024)) {
      Context.CancellableContext call = Context.current().withCancellation();
      first = call.call(() -> {
        Iterator<StreamContainersResponse> stream = slow.runtime(TIMEOUT)
            .streamContainers(StreamContainersRequest.getDefaultInstance());
        return stream.next().getContainersList();
      });
      call.cancel(null);
    }
    assertThat(first).isNotEmpty();
    Pattern cancelled = Pattern.compile("list stream cancelled by the client after (\\d+) of (\\d+) objects");
    Matcher seen = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
        .until(() -> cancelled.matcher(berthd.logText()), Matcher::find);
    assertThat(Integer.parseInt(seen.group(2))).isEqualTo(CONTAINERS);
    assertThat(Integer.parseInt(seen.group(1))).as("objects sent before the cancel").isLessThan(CONTAINERS);
    System.out.printf("ListStreamingTest: a client that read %d objects and cancelled: berthd sent %s of %s%n",
        first.size(), seen.group(1), seen.group(2));
    List<Container> again = streamed(client.runtime(TIMEOUT).streamContainers(
        StreamContainersRequest.getDefaultInstance()), StreamContainersResponse::getContainersList);
    assertThat(again).hasSize(CONTAINERS);
  }

  /** Removes the pods (and so their containers) in parallel: one pod's removal runs under its lock. */
  private static void removePods(CriClient client, List<String> pods) throws Exception {
    ExecutorService removers = Executors.newFixedThreadPool(pods.size());
    try {
      List<Future<?>> removed = new ArrayList<>();
      for (String pod : pods) {
        removed.add(removers.submit(() -> client.runtime(TIMEOUT).removePodSandbox(RemovePodSandboxRequest
            .newBuilder().setPodSandboxId(pod).build())));
      }
      for (Future<?> f : removed) {
        f.get();
      }
    } finally {
      removers.shutdownNow();
    }
  }
}
