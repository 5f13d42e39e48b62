package io.berth.it.bench;

import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.ContainerdProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The floor under berthd's fixed cost (issue 22): {@link GrpcFloorServer}, a grpc-java server that
 * answers Version and nothing else, started with berthd's JVM flags and its own AOT cache, against
 * berthd and containerd on the same machine at the same time. Its start to serving and idle PSS
 * are what berthd, a grpc-java server on Netty and this JVM, cannot go below; berthd's distance
 * from it is what berth's own work costs.
 */
final class FloorBench {
  private static final int STARTS = 7;
  /** berthd's HeapTrimmer checks every 5 s, Go's scavenger returns memory in the background. */
  private static final long SETTLE_MILLIS = 12_000;

  private FloorBench() {}

  /** {@code launcher}: the grpc-floor launcher {@code make bench} builds (target/grpc-floor). */
  static void run(Path work, Path launcher, BenchReport report) throws Exception {
    List<Long> floor = new ArrayList<>();
    List<Long> berth = new ArrayList<>();
    List<Long> ctrd = new ArrayList<>();
    // Interleaved, so that all three see the same machine load.
    for (int i = 0; i < STARTS; i++) {
      long begin = System.nanoTime();
      try (BerthdProcess server = BerthdProcess.startLauncher(launcher, work.resolve("floor-" + i), "", Map.of())) {
        floor.add(System.nanoTime() - begin);
        requireCache(server);
      }
      begin = System.nanoTime();
      try (BerthdProcess berthd = BerthdProcess.start(work.resolve("floor-berth-" + i), "")) {
        berth.add(System.nanoTime() - begin);
      }
      begin = System.nanoTime();
      try (ContainerdProcess containerd = ContainerdProcess.start(work.resolve("floor-ctrd-" + i))) {
        ctrd.add(System.nanoTime() - begin);
      }
    }
    Samples floorStarts = new Samples(floor);
    Samples berthStarts = new Samples(berth);
    Samples ctrdStarts = new Samples(ctrd);
    // The row's "berth" column is the floor: the floor's name says so, and berthd's own starts of
    // this group are in the note, next to it.
    report.add("floor: gRPC server start to serving", floorStarts, ctrdStarts);
    MemoryBench.note(report, "floor: start to serving, berthd", String.format(
        "berthd %.0f ms, the grpc-java floor %.0f ms, containerd %.0f ms (medians of %d, interleaved):"
            + " berthd/containerd %.2f, floor/containerd %.2f, berthd above the floor %.0f ms",
        berthStarts.medianMillis(), floorStarts.medianMillis(), ctrdStarts.medianMillis(), STARTS,
        berthStarts.medianMillis() / ctrdStarts.medianMillis(), floorStarts.medianMillis() / ctrdStarts.medianMillis(),
        berthStarts.medianMillis() - floorStarts.medianMillis()));

    // One JVM at a time, as on a node; containerd runs throughout, as in the memory group.
    try (ContainerdProcess containerd = ContainerdProcess.start(work.resolve("floor-ctrd-idle"))) {
      double floorPss;
      double floorAnon;
      try (BerthdProcess server = BerthdProcess.startLauncher(launcher, work.resolve("floor-idle"), "", Map.of())) {
        Thread.sleep(SETTLE_MILLIS);
        floorPss = DaemonMemory.pssAsOnlyJvm(server.pid());
        floorAnon = DaemonMemory.mb(server.pid(), "smaps_rollup", "Anonymous:");
      }
      double berthPss;
      try (BerthdProcess berthd = BerthdProcess.start(work.resolve("floor-berth-idle"), "")) {
        Thread.sleep(SETTLE_MILLIS);
        berthPss = DaemonMemory.pssAsOnlyJvm(berthd.pid());
      }
      double ctrdPss = DaemonMemory.pssAsOnlyJvm(containerd.pid());
      MemoryBench.note(report, "floor: idle PSS", String.format(
          "the grpc-java floor %.1f MB (%.1f anonymous), berthd %.1f MB, containerd %.1f MB, each JVM alone:"
              + " floor/containerd %.2f, berthd above the floor %.1f MB",
          floorPss, floorAnon, berthPss, ctrdPss, floorPss / ctrdPss, berthPss - floorPss));
    }
  }

  /** A floor without its AOT cache starts in ~1 s and would bound nothing (the launcher says so). */
  private static void requireCache(BerthdProcess server) {
    if (server.logText().contains("starting without it")) {
      throw new IllegalStateException("the grpc-floor launcher ran without its AOT cache (make grpc-floor "
          + "trains it):\n" + server.logText());
    }
  }

  /** The launcher named by {@code -Dberth.bench.floor}, if it was built. */
  static Path launcher() {
    String path = System.getProperty("berth.bench.floor", "");
    return path.isEmpty() || !Files.isExecutable(Path.of(path)) ? null : Path.of(path);
  }
}
