package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.ContainerEventResponse;
import io.berth.proto.runtime.v1.ContainerEventType;
import io.berth.proto.runtime.v1.GetEventsRequest;
import io.berth.proto.runtime.v1.RemoveContainerRequest;
import io.berth.proto.runtime.v1.StopContainerRequest;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GetContainerEvents as the kubelet's evented PLEG reads it: every transition, in order, at once. */
class ContainerEventsTest {
  @TempDir Path work;

  record Seen(ContainerEventResponse event, long atNanos) {}

  @Test
  void createdStartedStoppedAndDeletedArriveInOrderWithinASecond() throws Exception {
    try (Registry registry = Registry.start(work.resolve("registry"));
        BerthdProcess berthd = BerthdProcess.start(work.resolve("berthd"), "")) {
      FixtureImages.get().pushAll(registry);
      String image = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
      CriCalls.pull(berthd.client(), image);
      var client = berthd.client();
      BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
      // Two subscribers: every stream gets every event.
      List<BlockingQueue<Seen>> queues = List.of(seen, new LinkedBlockingQueue<>());
      CountDownLatch streamsStarted = new CountDownLatch(queues.size());
      for (BlockingQueue<Seen> queue : queues) {
        Thread.ofPlatform().daemon().start(() -> {
          try {
            var events = client.runtime(120_000).getContainerEvents(GetEventsRequest.getDefaultInstance());
            streamsStarted.countDown();
            events.forEachRemaining(e -> queue.add(new Seen(e, System.nanoTime())));
          } catch (StatusRuntimeException ended) {
            // deadline or berthd stopping
          }
        });
      }
      // Both calls have started: their requests precede every call below on the same channel, and
      // the first event comes from CreateContainer, after a whole RunPodSandbox.
      assertThat(streamsStarted.await(10, TimeUnit.SECONDS)).as("both event streams started").isTrue();

      var podConfig = Pods.podConfig("events", work.resolve("logs")).build();
      String pod = Pods.runPod(client, podConfig);
      String id = Pods.create(client, pod, podConfig,
          Pods.containerConfig("brief", image, "/bin/sh", "-c", "sleep 1; exit 4").build());
      assertEvent(seen, id, ContainerEventType.CONTAINER_CREATED_EVENT, System.nanoTime());
      Pods.start(client, id);
      Seen started = assertEvent(seen, id, ContainerEventType.CONTAINER_STARTED_EVENT, System.nanoTime());
      assertThat(started.event().getContainersStatusesList()).anySatisfy(s -> assertThat(s.getId()).isEqualTo(id));
      assertThat(started.event().getPodSandboxStatus().getId()).isEqualTo(pod);
      // Nobody polls: the exit must be noticed by itself.
      Seen stopped = assertEvent(seen, id, ContainerEventType.CONTAINER_STOPPED_EVENT,
          started.atNanos() + Duration.ofSeconds(1).toNanos());
      assertThat(stopped.event().getContainersStatusesList()).filteredOn(s -> s.getId().equals(id))
          .singleElement().satisfies(s -> assertThat(s.getExitCode()).isEqualTo(4));
      client.runtime(10_000).stopContainer(StopContainerRequest.newBuilder().setContainerId(id).build());
      client.runtime(10_000).removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
      assertEvent(seen, id, ContainerEventType.CONTAINER_DELETED_EVENT, System.nanoTime());
      await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20)).until(() -> queues.get(1).size() >= 4);
      assertThat(queues.get(1).stream().map(s -> s.event().getContainerEventType()).toList())
          .as("the second subscriber saw the same").containsExactly(ContainerEventType.CONTAINER_CREATED_EVENT,
              ContainerEventType.CONTAINER_STARTED_EVENT, ContainerEventType.CONTAINER_STOPPED_EVENT,
              ContainerEventType.CONTAINER_DELETED_EVENT);
      Pods.removeAll(client);
    }
  }

  /** The next event is {@code type} for {@code id}, and came within 1 s of {@code changedAt}. */
  private static Seen assertEvent(BlockingQueue<Seen> seen, String id, ContainerEventType type, long changedAt)
      throws InterruptedException {
    Seen next = seen.poll(10, TimeUnit.SECONDS);
    assertThat(next).as("an event " + type).isNotNull();
    assertThat(next.event().getContainerId()).isEqualTo(id);
    assertThat(next.event().getContainerEventType()).isEqualTo(type);
    assertThat(Duration.ofNanos(next.atNanos() - changedAt)).as(type + " latency").isLessThan(Duration.ofSeconds(1));
    return next;
  }
}
