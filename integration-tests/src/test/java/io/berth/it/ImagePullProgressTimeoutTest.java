package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.DiskState;
import io.berth.it.harness.Registry;
import io.berth.it.harness.RegistryProxy;
import io.berth.it.harness.RegistryProxy.Fault;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * registry.pull_progress_timeout_seconds against real berthd, through the fault proxy as the
 * registry's mirror: a pull whose transfer goes silent is cancelled after the 3 s timeout
 * (long before the 60 s per-connection stall timeout) with UNAVAILABLE naming the reference and
 * leaves nothing behind; a pull whose blobs trickle a few bytes every 250 ms for several times
 * the timeout completes.
 */
class ImagePullProgressTimeoutTest {
  static final Duration TIMEOUT = Duration.ofSeconds(3);
  static final String IMAGE = "flaky.example.test/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;

  @TempDir static Path shared;
  static Registry registry;
  static RegistryProxy proxy;
  static BerthdProcess berthd;

  @BeforeAll
  static void start() throws Exception {
    registry = Registry.start(shared.resolve("registry"));
    registry.push(FixtureImages.get().layout(), FixtureImages.BUSYBOX,
        FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG, Registry.Format.OCI);
    proxy = new RegistryProxy(registry);
    Path hosts = Files.createDirectories(shared.resolve("certs.d/flaky.example.test"));
    Files.writeString(hosts.resolve("hosts.toml"), "server = \"https://flaky.example.test\"\n[host.\"http://"
        + proxy.host() + "\"]\n");
    berthd = BerthdProcess.start(shared.resolve("berthd"), """
        [registry]
        config_path = "%s"
        stall_timeout_seconds = 60
        pull_progress_timeout_seconds = %d
        """.formatted(shared.resolve("certs.d"), TIMEOUT.toSeconds()));
  }

  @AfterAll
  static void stop() {
    berthd.close();
    proxy.close();
    registry.close();
  }

  List<String> before;

  @BeforeEach
  void remember() {
    proxy.clearFaults();
    proxy.forgetRequests();
    before = DiskState.of(berthd.rootDir());
  }

  @AfterEach
  void nothingLeftBehind() {
    assertThat(DiskState.of(berthd.rootDir())).as("berthd's root after the test").isEqualTo(before);
  }

  @Test
  void aTransferThatStallsIsCancelledAfterTheProgressTimeout() {
    proxy.inject("/blobs/sha256:", new Fault.Stall(100, 15_000), 100);
    long start = System.nanoTime();

    assertThatThrownBy(() -> CriCalls.pull(berthd.client(), IMAGE))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getStatus().getDescription())
              .contains(IMAGE, "for 3 s", "registry.pull_progress_timeout_seconds");
        });

    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(took).as("cancelled by the watchdog, not ended by the proxy's 15 s stall")
        .isGreaterThanOrEqualTo(TIMEOUT).isLessThan(Duration.ofSeconds(10));
    assertThat(CriCalls.status(berthd.client(), IMAGE, false).hasImage()).isFalse();
    assertThat(proxy.requests().stream().filter(r -> r.path().contains("/blobs/")))
        .as("the stalled blob is not retried once the pull is cancelled").hasSize(1);
  }

  @Test
  void aTransferThatTricklesForSeveralTimeoutsCompletes() {
    // 36 bytes of each blob, 3 every 250 ms: 3 s per blob, the config's before the layers', and never more than
    // a quarter second without a byte, so a loaded machine has 2.75 s of slack before the 3 s timeout.
    proxy.inject("/blobs/sha256:", new Fault.Trickle(36, 3, 250), 100);
    long start = System.nanoTime();

    String id = CriCalls.pull(berthd.client(), IMAGE);

    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the pull outlived its progress timeout")
        .isGreaterThan(TIMEOUT.multipliedBy(2));
    assertThat(CriCalls.status(berthd.client(), IMAGE, false).hasImage()).isTrue();
    CriCalls.remove(berthd.client(), id);
  }
}
