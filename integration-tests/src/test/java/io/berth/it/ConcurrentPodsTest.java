package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.HostTraces;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.ContainerState;
import io.berth.proto.runtime.v1.ListContainersRequest;
import io.berth.proto.runtime.v1.ListPodSandboxRequest;
import io.berth.proto.runtime.v1.PodSandboxState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many pods started at once while a kubelet-like lister polls: all succeed, every list is consistent. */
class ConcurrentPodsTest {
  static final int PODS = 50;

  @TempDir Path work;

  @Test
  void fiftyPodsStartConcurrentlyWhileListsStayCorrect() throws Exception {
    try (Registry registry = Registry.start(work.resolve("registry"));
        BerthdProcess berthd = BerthdProcess.start(work.resolve("berthd"), "")) {
      FixtureImages.get().pushAll(registry);
      String image = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
      CriCalls.pull(berthd.client(), image);
      var client = berthd.client();

      AtomicBoolean starting = new AtomicBoolean(true);
      List<String> listProblems = new ArrayList<>();
      Thread lister = Thread.ofPlatform().start(() -> {
        int last = 0;
        while (starting.get()) {
          var pods = client.runtime(10_000).listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList();
          var containers = client.runtime(10_000).listContainers(ListContainersRequest.getDefaultInstance())
              .getContainersList();
          if (pods.size() < last) {
            listProblems.add("pod count went down from " + last + " to " + pods.size());
          }
          last = pods.size();
          pods.forEach(p -> {
            if (p.getState() != PodSandboxState.SANDBOX_READY) {
              listProblems.add("pod " + p.getId() + " listed as " + p.getState());
            }
          });
          containers.forEach(c -> {
            if (pods.stream().noneMatch(p -> p.getId().equals(c.getPodSandboxId()))
                && client.runtime(10_000).listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList()
                    .stream().noneMatch(p -> p.getId().equals(c.getPodSandboxId()))) {
              listProblems.add("container " + c.getId() + " of an unlisted pod");
            }
          });
        }
      });

      List<String> containers = new ArrayList<>();
      try (var pool = Executors.newFixedThreadPool(PODS)) {
        List<Future<String>> started = new ArrayList<>();
        for (int i = 0; i < PODS; i++) {
          int n = i;
          started.add(pool.submit(() -> {
            var podConfig = Pods.podConfig("many-" + n, work.resolve("logs/" + n)).build();
            String pod = Pods.runPod(client, podConfig);
            return Pods.run(client, pod, podConfig, Pods.containerConfig("sleeper", image, "sleep", "600").build());
          }));
        }
        for (Future<String> f : started) {
          containers.add(f.get());
        }
      } finally {
        starting.set(false);
        lister.join();
      }

      assertThat(listProblems).isEmpty();
      assertThat(client.runtime(10_000).listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList())
          .hasSize(PODS).allMatch(p -> p.getState() == PodSandboxState.SANDBOX_READY);
      assertThat(client.runtime(10_000).listContainers(ListContainersRequest.getDefaultInstance()).getContainersList())
          .hasSize(PODS).allMatch(c -> c.getState() == ContainerState.CONTAINER_RUNNING);
      assertThat(containers).doesNotHaveDuplicates();
      Pods.removeAll(client);
      assertThat(HostTraces.of(berthd)).isEmpty();
    }
  }
}
