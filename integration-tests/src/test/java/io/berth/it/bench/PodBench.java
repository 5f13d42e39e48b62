package io.berth.it.bench;

import io.berth.cri.client.CriClient;
import io.berth.it.fixtures.Compression;
import io.berth.it.fixtures.FixtureImages;
import io.berth.it.fixtures.OciLayout;
import io.berth.it.fixtures.TarBuilder;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.Commands;
import io.berth.it.harness.ContainerdProcess;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.cri.client.SpdyStreamClient;
import io.berth.proto.runtime.v1.ExecRequest;
import io.berth.proto.runtime.v1.ExecSyncRequest;
import io.berth.proto.runtime.v1.LinuxPodSandboxConfig;
import io.berth.proto.runtime.v1.LinuxSandboxSecurityContext;
import io.berth.proto.runtime.v1.ListContainerStatsRequest;
import io.berth.proto.runtime.v1.ListContainersRequest;
import io.berth.proto.runtime.v1.ListPodSandboxRequest;
import io.berth.proto.runtime.v1.NamespaceMode;
import io.berth.proto.runtime.v1.NamespaceOption;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PodSandboxStatusRequest;
import io.berth.proto.runtime.v1.RemoveContainerRequest;
import io.berth.proto.runtime.v1.RemovePodSandboxRequest;
import io.berth.proto.runtime.v1.StopPodSandboxRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Pod benchmarks, side by side with containerd (busybox present on both; containerd's pause
 * image is catatonit in an image; both attach pods to a private CNI bridge): pod start, 20 pods
 * in a row and 4 at a time, ExecSync, lists over 100 containers, and the memory of the runtime
 * plus its monitors with 20 pods running.
 */
final class PodBench {
  private static final int STARTS = 15;
  private static final int BATCH = 20;
  private static final int BATCH_RUNS = 5;
  private static final String BERTH_BRIDGE = "berthbench1";

  private PodBench() {}

  static void run(Path work, BenchReport report) throws Exception {
    try (Registry registry = Registry.start(work.resolve("pod-registry"))) {
      FixtureImages.get().pushAll(registry);
      String busybox = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
      String pause = pushPauseImage(work, registry);
      // The same network for both: a private bridge with host-local addresses, no gateway route
      // and no masquerade (each runtime its own bridge and subnet, so they cannot collide).
      Path berthCni = Files.createDirectories(work.resolve("pods-berth-cni"));
      Files.writeString(berthCni.resolve("10-bench.conflist"), """
          {"cniVersion": "0.4.0", "name": "berth-bench", "plugins": [
            {"type": "bridge", "bridge": "%s", "isGateway": false, "ipMasq": false,
             "ipam": {"type": "host-local", "dataDir": "%s", "ranges": [[{"subnet": "10.231.1.0/24"}]]}},
            {"type": "loopback"}]}
          """.formatted(BERTH_BRIDGE, work.resolve("pods-berth-ipam")));
      try (BerthdProcess berthd = BerthdProcess.start(work.resolve("pods-berth"),
              "[network]\ncni_conf_dir = \"" + berthCni + "\"\n");
          ContainerdProcess containerd = ContainerdProcess.start(work.resolve("pods-ctrd"), List.of(registry.host()),
              pause)) {
        CriClient b = berthd.client();
        CriClient c = containerd.client();
        CriCalls.pull(b, busybox);
        CriCalls.pull(c, busybox);
        CriCalls.pull(c, pause);
        Path logs = work.resolve("pod-logs");
        for (int i = 0; i < 3; i++) { // warm-up of both, not measured
          removeAll(b, List.of(startPod(b, logs, "warm", busybox, false)));
          removeAll(c, List.of(startPod(c, logs, "warm", busybox, false)));
        }

        for (boolean hostNetwork : new boolean[] {false, true}) {
          List<Long> bt = new ArrayList<>();
          List<Long> ct = new ArrayList<>();
          for (int i = 0; i < STARTS; i++) {
            bt.add(timedPodStart(b, logs, busybox, hostNetwork));
            ct.add(timedPodStart(c, logs, busybox, hostNetwork));
          }
          report.add("pod start: RunPodSandbox+Create+Start" + (hostNetwork ? " (host network)" : " (pod netns)"),
              new Samples(bt), new Samples(ct));
        }

        List<Long> br = new ArrayList<>();
        List<Long> cr = new ArrayList<>();
        for (int i = 0; i < STARTS; i++) {
          br.add(timedRunPodOnly(b, logs));
          cr.add(timedRunPodOnly(c, logs));
        }
        report.add("RunPodSandbox alone (bridge network)", new Samples(br), new Samples(cr));

        for (int parallel : new int[] {1, 4}) {
          List<Long> bt = new ArrayList<>();
          List<Long> ct = new ArrayList<>();
          for (int run = 0; run < BATCH_RUNS; run++) {
            bt.add(timedBatch(b, logs, busybox, parallel));
            ct.add(timedBatch(c, logs, busybox, parallel));
          }
          report.add(BATCH + " pods, " + (parallel == 1 ? "one after another" : parallel + " at a time"),
              new Samples(bt), new Samples(ct));
        }

        List<String> bPods = startBatch(b, logs, busybox, BATCH, 4);
        List<String> cPods = startBatch(c, logs, busybox, BATCH, 4);
        // Both settle after the burst: Go's scavenger returns freed memory in the background,
        // berthd's HeapTrimmer checks every 5 s. Memory is what stays resident, not the peak.
        Thread.sleep(12_000);
        DaemonMemory bm = DaemonMemory.of(List.of(berthd.pid()), "conmon", berthd.stateDir().toString());
        DaemonMemory cm = DaemonMemory.of(List.of(containerd.pid()), "containerd-shim-runc-v2",
            containerd.socket().toString());
        report.note("memory with " + BATCH + " pods running (PSS)", String.format(
            "berth %.1f MB (berthd %.1f + %d conmon %.1f) vs containerd %.1f MB (containerd %.1f + %d shims %.1f):"
                + " ratio %.2f",
            bm.totalPss(), bm.daemonPss(), bm.monitors(), bm.monitorsPss(), cm.totalPss(), cm.daemonPss(),
            cm.monitors(), cm.monitorsPss(), bm.totalPss() / cm.totalPss()));
        report.note("memory with " + BATCH + " pods running (RSS sum)", String.format(
            "berth %.1f MB vs containerd %.1f MB: ratio %.2f", bm.totalRss(), cm.totalRss(),
            bm.totalRss() / cm.totalRss()));
        // Anonymous memory (heap, JIT code, metadata, malloc) against mapped files (berthd's AOT
        // cache and libjvm, containerd's binary): what a tighter heap could still win.
        report.note("daemon resident memory by kind", String.format(
            "berthd %.1f MB anonymous + %.1f MB files; containerd %.1f MB anonymous + %.1f MB files",
            bm.daemonAnon(), bm.daemonFile(), cm.daemonAnon(), cm.daemonFile()));

        List<Long> bc = new ArrayList<>();
        List<Long> cc = new ArrayList<>();
        for (int i = 0; i < STARTS; i++) {
          bc.add(timedContainerStart(b, bPods.get(i), logs, busybox, i));
          cc.add(timedContainerStart(c, cPods.get(i), logs, busybox, i));
        }
        report.add("CreateContainer+StartContainer in a running pod", new Samples(bc), new Samples(cc));

        String bCtr = firstContainer(b);
        String cCtr = firstContainer(c);
        // The kubelet runs exec probes all the time (a probe per container every few seconds):
        // steady state is what counts, and berthd's JIT needs a few hundred calls of a path to
        // get there (measured: ExecSync medians settle after ~500 calls), a Go daemon none.
        for (int i = 0; i < 300; i++) {
          exec(b, bCtr);
          exec(c, cCtr);
        }
        List<Long> be = new ArrayList<>();
        List<Long> ce = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          be.add(time(() -> exec(b, bCtr)));
          ce.add(time(() -> exec(c, cCtr)));
        }
        report.add("ExecSync `true` in a running container", new Samples(be), new Samples(ce));

        for (int i = 0; i < 150; i++) {
          streamingExec(b, bCtr);
          streamingExec(c, cCtr);
        }
        List<Long> bStream = new ArrayList<>();
        List<Long> cStream = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          bStream.add(time(() -> streamingExec(b, bCtr)));
          cStream.add(time(() -> streamingExec(c, cCtr)));
        }
        report.add("Streaming exec `true` (Exec + SPDY session to the exit status)", new Samples(bStream),
            new Samples(cStream));

        // 100 containers: the 20 pods get 4 more each.
        addContainers(b, bPods, logs, busybox, 4);
        addContainers(c, cPods, logs, busybox, 4);
        List<Long> bl = new ArrayList<>();
        List<Long> cl = new ArrayList<>();
        List<Long> bp = new ArrayList<>();
        List<Long> cp = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
          bl.add(time(() -> b.runtime(10_000).listContainers(ListContainersRequest.getDefaultInstance())));
          cl.add(time(() -> c.runtime(10_000).listContainers(ListContainersRequest.getDefaultInstance())));
          bp.add(time(() -> b.runtime(10_000).listPodSandbox(ListPodSandboxRequest.getDefaultInstance())));
          cp.add(time(() -> c.runtime(10_000).listPodSandbox(ListPodSandboxRequest.getDefaultInstance())));
        }
        report.add("ListContainers, 100 containers", new Samples(bl), new Samples(cl));
        List<Long> bs = new ArrayList<>();
        List<Long> cs = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          bs.add(time(() -> b.runtime(10_000).listContainerStats(
              ListContainerStatsRequest.getDefaultInstance())));
          cs.add(time(() -> c.runtime(10_000).listContainerStats(
              ListContainerStatsRequest.getDefaultInstance())));
        }
        report.add("ListContainerStats, 100 running containers", new Samples(bs), new Samples(cs));
        report.add("ListPodSandbox, 20 pods / 100 containers", new Samples(bp), new Samples(cp));
        removeAll(b, bPods);
        removeAll(c, cPods);
      } finally {
        if (Files.exists(Path.of("/sys/class/net/" + BERTH_BRIDGE))) {
          Commands.run(List.of("ip", "link", "del", BERTH_BRIDGE));
        }
      }
    }
  }

  /** Catatonit (static) as containerd's pause image: the same infra process berth runs. */
  static String pushPauseImage(Path work, Registry registry) throws IOException {
    Path dir = work.resolve("pause-layout");
    OciLayout layout = new OciLayout(dir);
    byte[] catatonit = Files.readAllBytes(Path.of("/usr/bin/catatonit"));
    var tar = new TarBuilder().file("catatonit", catatonit, 0755, 0, 0);
    layout.tag("pause", layout.image(OciLayout.Platform.LINUX_AMD64,
        List.of(new OciLayout.Layer(tar.build(), Compression.GZIP)),
        Map.of("Entrypoint", List.of("/catatonit", "-P"))));
    layout.finish();
    registry.push(dir, "pause", "bench/pause:1", Registry.Format.OCI);
    return registry.host() + "/bench/pause:1";
  }

  /** A pod as the kubelet sends it: one PID namespace per container (no shareProcessNamespace). */
  private static PodSandboxConfig podConfig(Path logs, String name, boolean hostNetwork) {
    var config = Pods.podConfig(name, logs.resolve(name));
    if (hostNetwork) {
      config.clearHostname(); // as the kubelet sends host-network pods
      config.setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
          .setNamespaceOptions(NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE))));
    }
    return Pods.perContainerPid(config).build();
  }

  static String startPod(CriClient client, Path logs, String name, String image, boolean hostNetwork) {
    PodSandboxConfig config = podConfig(logs, name, hostNetwork);
    String pod = Pods.runPod(client, config);
    Pods.run(client, pod, config,
        Pods.perContainerPid(Pods.containerConfig("sleeper", image, "sleep", "3600")).build());
    return pod;
  }

  private static long timedPodStart(CriClient client, Path logs, String image, boolean hostNetwork) {
    String[] pod = new String[1];
    long nanos = time(() -> pod[0] = startPod(client, logs, "one", image, hostNetwork));
    removeAll(client, List.of(pod[0]));
    return nanos;
  }

  private static long timedRunPodOnly(CriClient client, Path logs) {
    String[] pod = new String[1];
    long nanos = time(() -> pod[0] = Pods.runPod(client, podConfig(logs, "alone", false)));
    removeAll(client, List.of(pod[0]));
    return nanos;
  }

  /** Creates and starts one more container in a running pod (removed again, untimed). */
  private static long timedContainerStart(CriClient client, String pod, Path logs, String image, int n) {
    var status = client.runtime(10_000).podSandboxStatus(
        PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build()).getStatus();
    PodSandboxConfig config = Pods.perContainerPid(Pods.podConfig(status.getMetadata().getName(),
        logs.resolve("single")).setMetadata(status.getMetadata())).build();
    String[] id = new String[1];
    long nanos = time(() -> id[0] = Pods.run(client, pod, config,
        Pods.perContainerPid(Pods.containerConfig("single-" + n, image, "sleep", "3600")).build()));
    client.runtime(30_000).removeContainer(RemoveContainerRequest.newBuilder()
        .setContainerId(id[0]).build());
    return nanos;
  }

  private static long timedBatch(CriClient client, Path logs, String image, int parallel) throws Exception {
    long start = System.nanoTime();
    List<String> pods = startBatch(client, logs, image, BATCH, parallel);
    long nanos = System.nanoTime() - start;
    removeAll(client, pods);
    return nanos;
  }

  private static List<String> startBatch(CriClient client, Path logs, String image, int count, int parallel)
      throws Exception {
    try (var pool = Executors.newFixedThreadPool(parallel)) {
      List<Future<String>> futures = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        String name = "batch-" + i;
        futures.add(pool.submit(() -> startPod(client, logs, name, image, false)));
      }
      List<String> pods = new ArrayList<>();
      for (Future<String> f : futures) {
        pods.add(f.get());
      }
      return pods;
    }
  }

  private static void addContainers(CriClient client, List<String> pods, Path logs, String image, int each) {
    for (String pod : pods) {
      var status = client.runtime(10_000).podSandboxStatus(
          PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build()).getStatus();
      PodSandboxConfig config = Pods.perContainerPid(Pods.podConfig(status.getMetadata().getName(),
          logs.resolve("extra")).setMetadata(status.getMetadata())).build();
      for (int i = 0; i < each; i++) {
        Pods.run(client, pod, config,
            Pods.perContainerPid(Pods.containerConfig("extra-" + i, image, "sleep", "3600")).build());
      }
    }
  }

  private static String firstContainer(CriClient client) {
    return client.runtime(10_000).listContainers(ListContainersRequest.getDefaultInstance()).getContainers(0).getId();
  }

  private static void exec(CriClient client, String container) {
    client.runtime(30_000).execSync(ExecSyncRequest.newBuilder().setContainerId(container).addCmd("true")
        .setTimeout(10).build());
  }

  /** What `crictl exec <id> true` does: Exec for a URL, then a SPDY v4 session until the exit status arrives. */
  private static void streamingExec(CriClient client, String container) {
    String url = client.runtime(30_000).exec(ExecRequest.newBuilder().setContainerId(container).addCmd("true")
        .setStdout(true).setStderr(true).build()).getUrl();
    try (var session = SpdyStreamClient.connect(url, List.of("v4.channel.k8s.io"))) {
      var error = session.open(Map.of("streamType", "error"));
      session.open(Map.of("streamType", "stdout"));
      session.open(Map.of("streamType", "stderr"));
      String status = error.awaitText(Duration.ofSeconds(30));
      if (!status.contains("Success")) {
        throw new IllegalStateException("streaming exec failed: " + status);
      }
    } catch (Exception e) {
      throw new IllegalStateException("streaming exec: " + e.getMessage(), e);
    }
  }

  static void removeAll(CriClient client, List<String> pods) {
    for (String pod : pods) {
      client.runtime(60_000).stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
      client.runtime(60_000).removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    }
  }

  private static long time(Runnable action) {
    long start = System.nanoTime();
    action.run();
    return System.nanoTime() - start;
  }
}
