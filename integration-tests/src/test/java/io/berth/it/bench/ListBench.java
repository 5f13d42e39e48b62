package io.berth.it.bench;

import io.berth.cri.client.CriClient;
import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.ContainerdProcess;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.LinuxPodSandboxConfig;
import io.berth.proto.runtime.v1.LinuxSandboxSecurityContext;
import io.berth.proto.runtime.v1.ListContainersRequest;
import io.berth.proto.runtime.v1.ListPodSandboxRequest;
import io.berth.proto.runtime.v1.NamespaceMode;
import io.berth.proto.runtime.v1.NamespaceOption;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The kubelet's relist, side by side ({@code -Dberth.bench.only=lists}): ListContainers and
 * ListPodSandbox over 20 pods with 5 running containers each (host network: the lists do not
 * depend on it), warmed up as a kubelet that has run for a while, then one call to each runtime
 * in turn.
 */
final class ListBench {
  private static final int PODS = 20;
  private static final int CONTAINERS = 5;
  private static final int WARMUP = 5000;
  private static final int CALLS = 2000;

  private ListBench() {}

  static void run(Path work, BenchReport report) throws Exception {
    try (Registry registry = Registry.start(work.resolve("list-registry"))) {
      FixtureImages.get().pushAll(registry);
      String busybox = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
      String pause = PodBench.pushPauseImage(Files.createDirectories(work.resolve("list")), registry);
      try (BerthdProcess berthd = BerthdProcess.start(work.resolve("list-berth"), "");
          ContainerdProcess containerd = ContainerdProcess.start(work.resolve("list-ctrd"),
              List.of(registry.host()), pause)) {
        CriClient b = berthd.client();
        CriClient c = containerd.client();
        CriCalls.pull(c, pause);
        List<String> bPods = new ArrayList<>();
        List<String> cPods = new ArrayList<>();
        try {
          fill(b, work.resolve("list-logs-b"), busybox, bPods);
          fill(c, work.resolve("list-logs-c"), busybox, cPods);
          side(report, "ListContainers, " + PODS * CONTAINERS + " containers (warm)",
              client -> client.runtime(10_000).listContainers(ListContainersRequest.getDefaultInstance()), b, c);
          side(report, "ListPodSandbox, " + PODS + " pods (warm)",
              client -> client.runtime(10_000).listPodSandbox(ListPodSandboxRequest.getDefaultInstance()), b, c);
        } finally {
          PodBench.removeAll(b, bPods);
          PodBench.removeAll(c, cPods);
        }
      }
    }
  }

  /** Runs the pods, each added to {@code pods} once it exists: the caller removes them, also after a failure. */
  private static void fill(CriClient client, Path logs, String image, List<String> pods) {
    CriCalls.pull(client, image);
    for (int p = 0; p < PODS; p++) {
      PodSandboxConfig config = Pods.perContainerPid(Pods.podConfig("list-" + p, logs.resolve("p" + p))
          .clearHostname()
          .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
              .setNamespaceOptions(NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE))))).build();
      String pod = Pods.runPod(client, config);
      pods.add(pod);
      for (int i = 0; i < CONTAINERS; i++) {
        Pods.run(client, pod, config,
            Pods.perContainerPid(Pods.containerConfig("c" + i, image, "sleep", "3600")).build());
      }
    }
  }

  private static void side(BenchReport report, String name, Consumer<CriClient> call, CriClient b, CriClient c) {
    for (int i = 0; i < WARMUP; i++) {
      call.accept(b);
      call.accept(c);
    }
    List<Long> bt = new ArrayList<>(CALLS);
    List<Long> ct = new ArrayList<>(CALLS);
    for (int i = 0; i < CALLS; i++) {
      long t0 = System.nanoTime();
      call.accept(b);
      long t1 = System.nanoTime();
      call.accept(c);
      long t2 = System.nanoTime();
      bt.add(t1 - t0);
      ct.add(t2 - t1);
    }
    report.add(name, new Samples(bt), new Samples(ct));
  }
}
