package io.berth.it.bench;

import io.berth.cri.client.CriClient;
import io.berth.it.fixtures.FixtureImages;
import io.berth.it.fixtures.OciLayout;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.Commands;
import io.berth.it.harness.ContainerdProcess;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.Registry;
import io.berth.it.harness.RegistryPusher;
import io.berth.snapshot.FileTrees;
import io.berth.snapshot.LayerDirs;
import io.berth.snapshot.apply.LayerApplier;
import io.berth.sys.LinuxSyscalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import tools.jackson.databind.ObjectMapper;


/**
 * Image benchmarks, side by side: cold pulls (a fresh daemon each run, runs interleaved), a
 * re-pull of an unchanged image, ListImages over 100 images; and berth's layer-apply
 * throughput on its own.
 */
final class PullBench {
  private static final int COLD_RUNS = 3;
  private static final long SETTLE_MILLIS = 3000;
  private static final String TAG = "1";

  private PullBench() {}

  static void run(Path work, BenchReport report) throws Exception {
    try (Registry registry = Registry.start(work.resolve("registry"))) {
      Path layout = BenchImages.build(Path.of("target/bench-images").toAbsolutePath());
      registry.push(layout, BenchImages.BIG, "bench/big:" + TAG, Registry.Format.OCI);
      registry.push(layout, BenchImages.ROOTFS, "bench/rootfs:" + TAG, Registry.Format.OCI);
      List<String> many = pushManyImages(registry, 100);
      String big = registry.host() + "/bench/big:" + TAG;
      String rootfs = registry.host() + "/bench/rootfs:" + TAG;

      // "Cold": the image is absent (fresh root each run). The daemon has been up for a few
      // seconds, as on a node where the kubelet connects before it pulls; the row marked
      // "just started" pulls the moment the socket serves, JVM warm-up included.
      coldPulls(work, registry, report, "cold pull ~300 MB, 5 layers", big, SETTLE_MILLIS);
      coldPulls(work, registry, report, "cold pull ~30 MB distro rootfs", rootfs, SETTLE_MILLIS);
      coldPulls(work, registry, report, "cold pull ~300 MB, just started", big, 0);

      try (BerthdProcess berthd = BerthdProcess.start(work.resolve("warm-berth"), "");
          ContainerdProcess containerd = ContainerdProcess.start(work.resolve("warm-ctrd"), List.of(registry.host()))) {
        CriClient b = berthd.client();
        CriClient c = containerd.client();
        CriCalls.pull(b, rootfs);
        CriCalls.pull(c, rootfs);
        report.add("re-pull unchanged image (Always)",
            times(50, () -> CriCalls.pull(b, rootfs)), times(50, () -> CriCalls.pull(c, rootfs)));
        for (String image : many) {
          CriCalls.pull(b, image);
          CriCalls.pull(c, image);
        }
        times(200, () -> CriCalls.list(b));
        times(200, () -> CriCalls.list(c));
        report.add("ListImages, 100+ images", times(500, () -> CriCalls.list(b)), times(500, () -> CriCalls.list(c)));
      }
    }
    layerApplyThroughput(work, report);
  }

  private static void coldPulls(Path work, Registry registry, BenchReport report, String name, String image,
      long settleMillis) throws IOException, InterruptedException {
    List<Long> berth = new ArrayList<>();
    List<Long> ctrd = new ArrayList<>();
    for (int run = 0; run < COLD_RUNS; run++) {
      Path berthDir = work.resolve("cold-berth-" + run);
      try (BerthdProcess berthd = BerthdProcess.start(berthDir, "")) {
        settle(settleMillis);
        berth.add(time(() -> CriCalls.pull(berthd.client(), image)));
      }
      deleteTree(berthDir);
      Path ctrdDir = work.resolve("cold-ctrd-" + run);
      try (ContainerdProcess containerd = ContainerdProcess.start(ctrdDir, List.of(registry.host()))) {
        settle(settleMillis);
        ctrd.add(time(() -> CriCalls.pull(containerd.client(), image)));
      }
      deleteTree(ctrdDir);
    }
    report.add(name, new Samples(berth), new Samples(ctrd));
  }

  /**
   * Flushes the previous run's dirty pages (so neither runtime pays for the other's writeback),
   * then waits as configured.
   */
  private static void settle(long millis) throws InterruptedException {
    Commands.runOrFail("sync");
    Thread.sleep(millis);
  }

  /** Pushes {@code count} small images (busybox's layer, distinct configs) as bench/many:tN. */
  private static List<String> pushManyImages(Registry registry, int count) throws IOException {
    RegistryPusher pusher = new RegistryPusher(registry);
    Path layout = FixtureImages.get().layout();
    byte[] layer = Files.readAllBytes(layout.resolve("blobs/sha256").resolve(busyboxLayerDigest(layout).substring(7)));
    String layerDigest = pusher.blob("bench/many", layer);
    byte[] tar = new GZIPInputStream(new ByteArrayInputStream(layer)).readAllBytes();
    String diffId = OciLayout.digest(tar);
    List<String> images = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/sh\"],"
          + "\"Labels\":{\"n\":\"" + i + "\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diffId + "\"]}}";
      byte[] configBytes = config.getBytes(StandardCharsets.UTF_8);
      String configDigest = pusher.blob("bench/many", configBytes);
      String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + OciLayout.MANIFEST + "\","
          + "\"config\":{\"mediaType\":\"" + OciLayout.CONFIG + "\",\"digest\":\"" + configDigest + "\","
          + "\"size\":" + configBytes.length + "},\"layers\":[{"
          + "\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + layerDigest + "\","
          + "\"size\":" + layer.length + "}]}";
      pusher.manifest("bench/many", "t" + i, OciLayout.MANIFEST, manifest.getBytes(StandardCharsets.UTF_8));
      images.add(registry.host() + "/bench/many:t" + i);
    }
    return images;
  }

  private static String busyboxLayerDigest(Path layout) throws IOException {
    var json = new ObjectMapper();
    for (var entry : json.readTree(Files.readString(layout.resolve("index.json"))).get("manifests")) {
      if (FixtureImages.BUSYBOX.equals(entry.get("annotations").get("org.opencontainers.image.ref.name").asString())) {
        var manifest = json.readTree(Files.readString(layout.resolve("blobs/sha256")
            .resolve(entry.get("digest").asString().substring(7))));
        return manifest.get("layers").get(0).get("digest").asString();
      }
    }
    throw new IllegalStateException("no busybox fixture");
  }

  /** Applies one 60 MB layer of incompressible files from memory, three times, and reports MB/s. */
  private static void layerApplyThroughput(Path work, BenchReport report) throws IOException {
    Path layout = BenchImages.build(Path.of("target/bench-images").toAbsolutePath());
    var json = new ObjectMapper();
    String manifestDigest = null;
    for (var entry : json.readTree(Files.readString(layout.resolve("index.json"))).get("manifests")) {
      if (BenchImages.BIG.equals(entry.get("annotations").get("org.opencontainers.image.ref.name").asString())) {
        manifestDigest = entry.get("digest").asString();
      }
    }
    var manifest = json.readTree(Files.readString(layout.resolve("blobs/sha256").resolve(manifestDigest.substring(7))));
    byte[] gz = Files.readAllBytes(layout.resolve("blobs/sha256")
        .resolve(manifest.get("layers").get(0).get("digest").asString().substring(7)));
    byte[] tar = new GZIPInputStream(new ByteArrayInputStream(gz)).readAllBytes();
    LayerApplier applier = new LayerApplier(new LinuxSyscalls());
    List<Long> nanos = new ArrayList<>();
    for (int run = 0; run < 3; run++) {
      Path upper = Files.createDirectories(work.resolve("apply-" + run + "/fs"));
      long start = System.nanoTime();
      applier.apply(new ByteArrayInputStream(tar), "application/vnd.oci.image.layer.v1.tar",
          new LayerDirs(upper, List.of()), null);
      nanos.add(System.nanoTime() - start);
      deleteTree(upper.getParent());
    }
    double mbPerSecond = tar.length / 1e6 / (new Samples(nanos).medianMillis() / 1000);
    report.note("layer apply (uncompressed, 60 MB)", String.format("%.0f MB/s median of 3", mbPerSecond));
  }

  private static Samples times(int count, Runnable call) {
    List<Long> nanos = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      nanos.add(time(call));
    }
    return new Samples(nanos);
  }

  private static long time(Runnable call) {
    long start = System.nanoTime();
    call.run();
    return System.nanoTime() - start;
  }

  static void deleteTree(Path dir) throws IOException {
    FileTrees.deleteTree(dir);
  }
}
