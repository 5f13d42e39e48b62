package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.HostTraces;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.ContainerState;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.SecurityProfile;
import io.berth.proto.runtime.v1.VersionRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Localhost seccomp profiles a request names, on a real berthd: a device, a FIFO, a link to a
 * device and an oversized file are INVALID_ARGUMENT naming the file within seconds (they once
 * filled the heap or hung CreateContainer under the pod's lock), the pod's other creates go on,
 * and a regular profile is applied.
 */
class SeccompProfileFileTest {
  // The old failures were a hang and a heap exhausted; the first create after start runs cold code, so 5 s.
  private static final Duration PROMPT = Duration.ofSeconds(5);
  @TempDir static Path shared;
  static Registry registry;
  static BerthdProcess berthd;
  static String image;

  @BeforeAll
  static void startBerthdWithImage() {
    registry = Registry.start(shared.resolve("registry"));
    FixtureImages.get().pushAll(registry);
    berthd = BerthdProcess.start(shared.resolve("berthd"), "");
    image = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
    CriCalls.pull(berthd.client(), image);
  }

  @AfterAll
  static void stopAll() {
    if (berthd != null) {
      Pods.removeAll(berthd.client());
      assertThat(HostTraces.of(berthd)).as("host traces after every pod is removed").isEmpty();
      berthd.close();
    }
    registry.close();
  }

  @Test
  void profilesThatAreNoRegularFileOrTooLargeAreRefusedAtOnceNamingTheFile() throws Exception {
    var client = berthd.client();
    PodSandboxConfig podConfig = Pods.podConfig("seccomp-files", shared.resolve("logs/files")).build();
    String pod = Pods.runPod(client, podConfig);
    Path fifo = mkfifo(shared.resolve("fifo-profile.json"));
    Path toZero = Files.createSymbolicLink(shared.resolve("zero-profile.json"), Path.of("/dev/zero"));
    Path huge = Files.writeString(shared.resolve("huge-profile.json"),
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\"," + " ".repeat(2 << 20) + "}");
    Path bad = Files.writeString(shared.resolve("bad-profile.json"), "{\"defaultAction\":\"SCMP_ACT_NONE\"}");

    assertRefusedPromptly(pod, podConfig, "/dev/zero", "/dev/zero is a character device, not a regular file");
    assertRefusedPromptly(pod, podConfig, fifo.toString(), fifo + " is a FIFO, not a regular file");
    assertRefusedPromptly(pod, podConfig, toZero.toString(), "leads to /dev/zero, a character device");
    assertRefusedPromptly(pod, podConfig, huge.toString(), huge + " is larger than 1 MiB");
    assertRefusedPromptly(pod, podConfig, bad.toString(), "defaultAction \"SCMP_ACT_NONE\" is not one of");
    assertThat(client.runtime(5_000).version(VersionRequest.getDefaultInstance()).getRuntimeName())
        .as("berthd still answers").isNotEmpty();
    assertThat(berthd.logText()).doesNotContain("OutOfMemoryError");
  }

  /** The FIFO once held the pod's lock until someone wrote to it; now the create next to it goes through. */
  @Test
  void aFifoProfileDoesNotHoldUpTheOtherCreatesInItsPod() throws Exception {
    var client = berthd.client();
    PodSandboxConfig podConfig = Pods.podConfig("seccomp-fifo", shared.resolve("logs/fifo")).build();
    String pod = Pods.runPod(client, podConfig);
    Path fifo = mkfifo(shared.resolve("held-profile.json"));

    var hostile = CompletableFuture.supplyAsync(() -> catchThrowable(() ->
        Pods.create(client, pod, podConfig, withProfile(Pods.containerConfig("hostile", image, "sleep", "600"),
            fifo.toString()))));
    long start = System.nanoTime();
    String other = Pods.create(client, pod, podConfig, Pods.containerConfig("other", image, "sleep", "600").build());
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(code(hostile.get(10, TimeUnit.SECONDS))).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(other).isNotEmpty();
    assertThat(took).as("the other create in the same pod").isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void aRegularProfileIsApplied() throws Exception {
    var client = berthd.client();
    PodSandboxConfig podConfig = Pods.podConfig("seccomp-good", shared.resolve("logs/good")).build();
    String pod = Pods.runPod(client, podConfig);
    Path target = Files.writeString(shared.resolve("allow-but-mkdir.json"), """
        {"defaultAction": "SCMP_ACT_ALLOW",
         "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
        """);
    Path link = Files.createSymbolicLink(shared.resolve("linked-profile.json"), target);
    String id = Pods.run(client, pod, podConfig, withProfile(Pods.containerConfig("good", image, "/bin/sh", "-c",
        "mkdir /tmp/x && echo made || echo refused; sleep 600"), link.toString()));
    assertThat(Pods.status(client, id).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);
    var log = shared.resolve("logs/good/good.log");
    await().atMost(Duration.ofSeconds(10))
        .until(() -> Files.exists(log) && Files.readString(log).contains("refused"));
  }

  private void assertRefusedPromptly(String pod, PodSandboxConfig podConfig, String profile, String message) {
    long start = System.nanoTime();
    Throwable thrown = catchThrowable(() -> Pods.create(berthd.client(), pod, podConfig,
        withProfile(Pods.containerConfig("hostile", image, "sleep", "600"), profile)));
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(code(thrown)).as(profile).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(((StatusRuntimeException) thrown).getStatus().getDescription()).contains(message);
    assertThat(took).as("answer for " + profile).isLessThan(PROMPT);
  }

  private static ContainerConfig withProfile(ContainerConfig.Builder config, String profile) {
    config.getLinuxBuilder().getSecurityContextBuilder().setSeccomp(SecurityProfile.newBuilder()
        .setProfileType(SecurityProfile.ProfileType.Localhost).setLocalhostRef(profile));
    return config.build();
  }

  private static Status.Code code(Throwable thrown) {
    assertThat(thrown).isInstanceOf(StatusRuntimeException.class);
    return ((StatusRuntimeException) thrown).getStatus().getCode();
  }

  private static Path mkfifo(Path path) throws Exception {
    assertThat(new ProcessBuilder("mkfifo", path.toString()).start().waitFor()).as("mkfifo").isZero();
    return path;
  }
}
