package io.berth.it.bench;

import io.berth.cri.client.CriClient;
import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.Commands;
import io.berth.it.harness.ContainerdProcess;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.ListPodSandboxRequest;
import io.berth.proto.runtime.v1.PodSandbox;
import io.berth.proto.runtime.v1.PodSandboxState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * berthd's fixed cost side by side with containerd (issue 22): idle memory, daemon start to the
 * first pod running, node memory (daemon plus monitors, PSS) with 10, 50 and 100 pods, restart
 * with 100 pods, and berthd's memory by Native Memory Tracking category with 20 pods.
 *
 * <p>Pods use the host network, one busybox {@code sleep 3600} each with its own PID namespace:
 * CNI plugins are processes that exit, so a pod network adds kernel memory (netns, veth) but
 * nothing resident in either runtime's processes, and host-network pods keep 100 pods quick to
 * start and remove. Both runtimes still get a private bridge config, as in {@link PodBench}.
 */
final class MemoryBench {
  private static final int FIRST_POD_RUNS = 5;
  private static final int[] LEVELS = {10, 50, 100};
  private static final int NMT_PODS = 20;
  private static final int PARALLEL = 4;
  /** Go's scavenger returns freed memory in the background, berthd's HeapTrimmer checks every 5 s. */
  private static final long SETTLE_MILLIS = 12_000;
  private static final String JCMD = "/usr/lib/jvm/temurin-25-jdk-amd64/bin/jcmd";
  private static final String BERTH_BRIDGE = "berthbench2";
  private static final Pattern NMT_CATEGORY =
      Pattern.compile("^-\\s+(.+?) \\(reserved=(\\d+)KB, committed=(\\d+)KB");
  private static final Pattern NMT_COUNT = Pattern.compile("^\\((classes|threads) #(\\d+)\\)");
  private static final Pattern NMT_TOTAL = Pattern.compile("^Total: reserved=(\\d+)KB, committed=(\\d+)KB");

  private MemoryBench() {}

  static void run(Path work, BenchReport report) throws Exception {
    try (Registry registry = Registry.start(work.resolve("mem-registry"))) {
      FixtureImages.get().pushAll(registry);
      String busybox = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
      String pause = PodBench.pushPauseImage(work.resolve("mem-pause"), registry);
      Path cni = Files.createDirectories(work.resolve("mem-berth-cni"));
      Files.writeString(cni.resolve("10-bench.conflist"), """
          {"cniVersion": "0.4.0", "name": "berth-bench", "plugins": [
            {"type": "bridge", "bridge": "%s", "isGateway": false, "ipMasq": false,
             "ipam": {"type": "host-local", "dataDir": "%s", "ranges": [[{"subnet": "10.231.2.0/24"}]]}},
            {"type": "loopback"}]}
          """.formatted(BERTH_BRIDGE, work.resolve("mem-berth-ipam")));
      String config = "[network]\ncni_conf_dir = \"" + cni + "\"\n";
      // One root per runtime for the whole group: the images are pulled once, untimed, and
      // every later daemon starts on a root that has them, as on a node after its first day.
      Runtimes runtimes = new Runtimes(work.resolve("mem-berth"), config, work.resolve("mem-ctrd"),
          List.of(registry.host()), pause, work.resolve("mem-logs"), busybox);
      try {
        try (BerthdProcess berthd = runtimes.berthd();
            ContainerdProcess containerd = runtimes.containerd()) {
          CriCalls.pull(berthd.client(), busybox);
          CriCalls.pull(containerd.client(), busybox);
          CriCalls.pull(containerd.client(), pause);
        }
        firstPod(runtimes, report);
        podLevels(runtimes, report);
        nativeMemory(runtimes, report);
      } finally {
        if (Files.exists(Path.of("/sys/class/net/" + BERTH_BRIDGE))) {
          Commands.run(List.of("ip", "link", "del", BERTH_BRIDGE));
        }
      }
    }
  }

  /** Where each runtime lives and what its pods run; starts a fresh daemon on the same root. */
  private record Runtimes(Path berthDir, String berthConfig, Path ctrdDir, List<String> registries, String pause,
      Path logs, String image) {
    BerthdProcess berthd() {
      return BerthdProcess.start(berthDir, berthConfig);
    }

    BerthdProcess berthd(Map<String, String> env) {
      return BerthdProcess.startWithEnv(berthDir, berthConfig, env);
    }

    ContainerdProcess containerd() {
      return ContainerdProcess.start(ctrdDir, registries, pause);
    }
  }

  /**
   * What a node pays after a reboot or an upgrade: from the daemon's exec to the first pod's
   * container running, the pod's calls issued the moment the socket serves (JIT warm-up included).
   */
  private static void firstPod(Runtimes runtimes, BenchReport report) throws Exception {
    List<Long> berth = new ArrayList<>();
    List<Long> ctrd = new ArrayList<>();
    List<Long> berthServing = new ArrayList<>();
    List<Long> ctrdServing = new ArrayList<>();
    for (int run = 0; run < FIRST_POD_RUNS; run++) {
      long begin = System.nanoTime();
      try (BerthdProcess berthd = runtimes.berthd(); AutoCloseable pods = () -> removeAllPods(berthd.client())) {
        berthServing.add(System.nanoTime() - begin);
        PodBench.startPod(berthd.client(), runtimes.logs(), "first", runtimes.image(), true);
        berth.add(System.nanoTime() - begin);
      }
      begin = System.nanoTime();
      try (ContainerdProcess containerd = runtimes.containerd();
          AutoCloseable pods = () -> removeAllPods(containerd.client())) {
        ctrdServing.add(System.nanoTime() - begin);
        PodBench.startPod(containerd.client(), runtimes.logs(), "first", runtimes.image(), true);
        ctrd.add(System.nanoTime() - begin);
      }
    }
    // The production start: a configuration file that sets keys and a store that holds images
    // (the calls group's start row has neither, so costs on these paths would not show there).
    report.add("daemon start to serving, keyed config and images in store", new Samples(berthServing),
        new Samples(ctrdServing));
    report.add("daemon start to first pod running", new Samples(berth), new Samples(ctrd));
    System.out.printf("daemon start to first pod running: berth %.0f ms, containerd %.0f ms (medians of %d)%n",
        new Samples(berth).medianMillis(), new Samples(ctrd).medianMillis(), FIRST_POD_RUNS);
  }

  /**
   * Idle memory of both daemons, then node memory at each pod count, then both daemons
   * restarted under 100 running pods.
   */
  private static void podLevels(Runtimes runtimes, BenchReport report) throws Exception {
    BerthdProcess berthd = runtimes.berthd();
    ContainerdProcess containerd = null;
    try {
      containerd = runtimes.containerd();
      Thread.sleep(SETTLE_MILLIS);
      DaemonMemory bi = berthMemory(berthd);
      DaemonMemory ci = containerdMemory(containerd);
      note(report, "idle daemon, no pods (PSS, anon)", String.format(
          "berthd %.1f MB PSS, %.1f MB anonymous vs containerd %.1f MB PSS, %.1f MB anonymous: PSS ratio %.2f",
          bi.daemonPss(), bi.daemonAnon(), ci.daemonPss(), ci.daemonAnon(), bi.daemonPss() / ci.daemonPss()));

      int running = 0;
      for (int level : LEVELS) {
        startPods(berthd.client(), runtimes, running, level);
        startPods(containerd.client(), runtimes, running, level);
        running = level;
        Thread.sleep(SETTLE_MILLIS);
        DaemonMemory bm = berthMemory(berthd);
        DaemonMemory cm = containerdMemory(containerd);
        note(report, "node memory (PSS), " + level + " pods", String.format(
            "berth %.1f MB (berthd %.1f + %d conmon %.1f) vs containerd %.1f MB (containerd %.1f + %d shims %.1f):"
                + " ratio %.2f; berthd anonymous %.1f MB",
            bm.totalPss(), bm.daemonPss(), bm.monitors(), bm.monitorsPss(), cm.totalPss(), cm.daemonPss(),
            cm.monitors(), cm.monitorsPss(), bm.totalPss() / cm.totalPss(), bm.daemonAnon()));
      }

      // A restart (an upgrade, a crash) with every pod still running: the new daemon must find
      // them all (conmon and the shims outlive their daemon) before the kubelet relists.
      long stopBegin = System.nanoTime();
      berthd.close();
      long berthStop = System.nanoTime() - stopBegin;
      long begin = System.nanoTime();
      berthd = runtimes.berthd();
      long berthStart = System.nanoTime() - begin;
      String berthReady = readyPods(berthd.client());
      stopBegin = System.nanoTime();
      containerd.close();
      long ctrdStop = System.nanoTime() - stopBegin;
      containerd = null;
      begin = System.nanoTime();
      containerd = runtimes.containerd();
      long ctrdStart = System.nanoTime() - begin;
      String ctrdReady = readyPods(containerd.client());
      note(report, "restart with " + running + " pods running", String.format(
          "berthd stop %.0f ms, start to serving %.0f ms, %s READY; containerd stop %.0f ms, start %.0f ms, %s READY",
          berthStop / 1e6, berthStart / 1e6, berthReady, ctrdStop / 1e6, ctrdStart / 1e6, ctrdReady));
      Thread.sleep(SETTLE_MILLIS);
      DaemonMemory br = berthMemory(berthd);
      note(report, "berthd restarted, " + running + " pods", String.format(
          "berthd %.1f MB PSS, %.1f MB anonymous (recovered, settled)", br.daemonPss(), br.daemonAnon()));
    } finally {
      try {
        removeAllPods(berthd.client());
      } finally {
        berthd.close();
        if (containerd != null) {
          try {
            removeAllPods(containerd.client());
          } finally {
            containerd.close();
          }
        }
      }
    }
  }

  /**
   * berthd's memory by Native Memory Tracking category with {@value #NMT_PODS} pods (an extra
   * berthd: tracking costs a little memory itself, so it is not the one of the rows above).
   */
  private static void nativeMemory(Runtimes runtimes, BenchReport report) throws Exception {
    try (BerthdProcess berthd = runtimes.berthd(Map.of("BERTH_JAVA_OPTS", "-XX:NativeMemoryTracking=summary"));
        AutoCloseable pods = () -> removeAllPods(berthd.client())) {
      startPods(berthd.client(), runtimes, 0, NMT_PODS);
      Thread.sleep(SETTLE_MILLIS);
      String summary = Commands.runOrFail(JCMD, Long.toString(berthd.pid()), "VM.native_memory", "summary",
          "scale=KB").stdout();
      Path raw = Path.of("target/bench/berthd-nmt.txt").toAbsolutePath();
      Files.createDirectories(raw.getParent());
      Files.writeString(raw, summary);
      note(report, "berthd NMT committed, " + NMT_PODS + " pods", nmtCategories(summary) + " (" + raw + ")");
      long pid = berthd.pid();
      DaemonMemory.Mappings aot = DaemonMemory.mappings(pid, path -> path.endsWith("berthd.aot"));
      note(report, "berthd smaps, " + NMT_PODS + " pods, NMT on", String.format(
          "PSS %.1f MB, anonymous %.1f MB, RSS %.1f MB; AOT cache %s",
          DaemonMemory.pssAsOnlyJvm(pid), DaemonMemory.mb(pid, "smaps_rollup", "Anonymous:"),
          DaemonMemory.mb(pid, "smaps_rollup", "Rss:"),
          aot.count() == 0 ? "not mapped" : String.format("%d mappings, RSS %.1f MB, PSS %.1f MB, of which %.1f MB"
              + " anonymous (pages the JVM wrote: copied from the file, never shared)", aot.count(), aot.rssMb(),
              aot.pssMb(), aot.anonMb())));
    }
  }

  /**
   * "total 180.2 MB (7000 classes, 20 threads): Java Heap 16.0, Class 9.1, ...": committed MB,
   * largest first, categories under 0.1 MB left out.
   */
  static String nmtCategories(String summary) {
    record Category(String name, double committedMb) {}
    List<Category> categories = new ArrayList<>();
    String total = "total ?";
    StringBuilder counts = new StringBuilder();
    for (String line : summary.lines().map(String::strip).toList()) {
      Matcher category = NMT_CATEGORY.matcher(line);
      Matcher sum = NMT_TOTAL.matcher(line);
      Matcher count = NMT_COUNT.matcher(line);
      if (category.find()) {
        categories.add(new Category(category.group(1).strip(), Long.parseLong(category.group(3)) / 1024.0));
      } else if (sum.find()) {
        total = String.format("total %.1f MB", Long.parseLong(sum.group(2)) / 1024.0);
      } else if (count.find()) {
        counts.append(counts.isEmpty() ? " (" : ", ").append(count.group(2)).append(' ').append(count.group(1));
      }
    }
    StringBuilder out = new StringBuilder(total).append(counts).append(counts.isEmpty() ? ":" : "):");
    categories.stream()
        .filter(c -> c.committedMb() >= 0.1)
        .sorted((a, b) -> Double.compare(b.committedMb(), a.committedMb()))
        .forEach(c -> out.append(String.format(" %s %.1f,", c.name(), c.committedMb())));
    out.setLength(out.length() - 1);
    return out.toString();
  }

  private static DaemonMemory berthMemory(BerthdProcess berthd) throws IOException {
    return DaemonMemory.of(List.of(berthd.pid()), "conmon", berthd.stateDir().toString());
  }

  private static DaemonMemory containerdMemory(ContainerdProcess containerd) throws IOException {
    return DaemonMemory.of(List.of(containerd.pid()), "containerd-shim-runc-v2", containerd.socket().toString());
  }

  /** Starts pods number {@code from} to {@code to - 1}, {@value #PARALLEL} at a time. */
  private static void startPods(CriClient client, Runtimes runtimes, int from, int to) throws Exception {
    try (var pool = Executors.newFixedThreadPool(PARALLEL)) {
      List<Future<String>> started = new ArrayList<>();
      for (int i = from; i < to; i++) {
        String name = "mem-" + i;
        started.add(pool.submit(() -> PodBench.startPod(client, runtimes.logs(), name, runtimes.image(), true)));
      }
      for (Future<String> pod : started) {
        pod.get();
      }
    }
  }

  /** A note, also printed at once: the group takes minutes, and a later failure must not lose it. */
  static void note(BenchReport report, String name, String value) {
    report.note(name, value);
    System.out.printf("%-34s %s%n", name, value);
  }

  /** "100/100": the pods ListPodSandbox reports READY, of all it lists. */
  private static String readyPods(CriClient client) {
    List<PodSandbox> pods = client.runtime(60_000).listPodSandbox(ListPodSandboxRequest.getDefaultInstance())
        .getItemsList();
    long ready = pods.stream().filter(p -> p.getState() == PodSandboxState.SANDBOX_READY).count();
    return ready + "/" + pods.size() + (ready == pods.size() ? "" : " (NOT ALL)");
  }

  private static void removeAllPods(CriClient client) throws Exception {
    List<String> ids = client.runtime(60_000).listPodSandbox(ListPodSandboxRequest.getDefaultInstance())
        .getItemsList().stream().map(PodSandbox::getId).toList();
    try (var pool = Executors.newFixedThreadPool(PARALLEL)) {
      List<Future<?>> removed = new ArrayList<>();
      for (String id : ids) {
        removed.add(pool.submit(() -> PodBench.removeAll(client, List.of(id))));
      }
      for (Future<?> f : removed) {
        f.get();
      }
    }
  }
}
