package io.berth.it.bench;

import io.berth.cri.client.CriClient;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.ContainerdProcess;
import io.berth.proto.runtime.v1.StatusRequest;
import io.berth.proto.runtime.v1.VersionRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@code make bench}: runs the same CRI calls through the same Java client against berthd and
 * against Debian's containerd on this machine, and prints medians, spreads and ratios (also
 * written to {@code integration-tests/target/bench/results.json}).
 */
public final class SideBySideBench {
  private static final int WARMUP = 20000;
  private static final int CALLS = 2000;
  private static final int STARTS = 5;

  public static void main(String[] args) throws Exception {
    // Not /tmp: on these machines creating files there is several times slower than elsewhere
    // on the same disk (measured with plain python), which would drown what is compared.
    Path work =
        Files.createTempDirectory(Files.createDirectories(Path.of("target/bench-work").toAbsolutePath()), "run-");
    BenchReport report = new BenchReport();

    // -Dberth.bench.only=calls|floor|pulls|pods|memory|lists runs one group (for working on it); default: all.
    String only = System.getProperty("berth.bench.only", "");
    if (only.isEmpty() || only.equals("calls")) {
      report.add("daemon start to serving socket",
          timeStarts(i -> BerthdProcess.start(work.resolve("berth-start-" + i), ""), BerthdProcess::close),
          timeStarts(i -> ContainerdProcess.start(work.resolve("ctrd-start-" + i)), ContainerdProcess::close));

      try (BerthdProcess berthd = BerthdProcess.start(work.resolve("berth"), "");
          ContainerdProcess containerd = ContainerdProcess.start(work.resolve("containerd"))) {
        CriClient berth = berthd.client();
        CriClient ctrd = containerd.client();
        timeCallsSideBySide(report, "Version round trip",
            c -> c.runtime(5000).version(VersionRequest.getDefaultInstance()), berth, ctrd);
        timeCallsSideBySide(report, "Status round trip",
            c -> c.runtime(5000).status(StatusRequest.getDefaultInstance()), berth, ctrd);
      }
    }
    if (only.isEmpty() || only.equals("floor")) {
      Path floor = FloorBench.launcher();
      if (floor == null) {
        System.out.println("floor group skipped: -Dberth.bench.floor names no launcher (make bench builds it)");
      } else {
        FloorBench.run(work, floor, report);
      }
    }
    if (only.isEmpty() || only.equals("pulls")) {
      PullBench.run(work, report);
    }
    if (only.isEmpty() || only.equals("pods")) {
      PodBench.run(work, report);
    }
    if (only.isEmpty() || only.equals("lists")) {
      ListBench.run(work, report);
    }
    if (only.isEmpty() || only.equals("memory")) {
      MemoryBench.run(work, report);
    }

    System.out.println();
    System.out.print(report.table());
    Path json = Path.of("target/bench/results.json").toAbsolutePath();
    report.writeJson(json);
    System.out.println("results: " + json);
  }

  /**
   * Warms both up, then alternates one call to each for {@link #CALLS} rounds, so that both
   * runtimes see the same client JIT state and the same machine load.
   */
  private static void timeCallsSideBySide(
      BenchReport report, String name, Consumer<CriClient> call, CriClient berth, CriClient ctrd) {
    for (int i = 0; i < WARMUP; i++) {
      call.accept(berth);
      call.accept(ctrd);
    }
    List<Long> berthNanos = new ArrayList<>(CALLS);
    List<Long> ctrdNanos = new ArrayList<>(CALLS);
    for (int i = 0; i < CALLS; i++) {
      berthNanos.add(time(call, berth));
      ctrdNanos.add(time(call, ctrd));
    }
    report.add(name, new Samples(berthNanos), new Samples(ctrdNanos));
  }

  private static long time(Consumer<CriClient> call, CriClient client) {
    long start = System.nanoTime();
    call.accept(client);
    return System.nanoTime() - start;
  }

  private static <T> Samples timeStarts(Function<Integer, T> start, Consumer<T> stop) {
    List<Long> nanos = new ArrayList<>();
    for (int i = 0; i < STARTS; i++) {
      long begin = System.nanoTime();
      T daemon = start.apply(i);
      nanos.add(System.nanoTime() - begin);
      stop.accept(daemon);
    }
    return new Samples(nanos);
  }

  private SideBySideBench() {}
}
