package io.berth.cri.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.cri.config.BerthConfig;
import io.berth.cri.config.ConfigLoader;
import io.berth.cri.network.Condition;
import io.berth.cri.network.PodNetworkSettings;
import io.berth.proto.runtime.v1.RuntimeCondition;
import io.berth.proto.runtime.v1.RuntimeHandler;
import io.berth.proto.runtime.v1.StatusRequest;
import io.berth.proto.runtime.v1.StatusResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusHandlerTest {
  private final PodNetworkSettings podNetwork = new PodNetworkSettings();

  private StatusHandler handler(BerthConfig config, Supplier<Condition> network) {
    return new StatusHandler(
        new RuntimeReadiness(config.runtime()), network, config, new ConfigLoader().renderJson(config), podNetwork);
  }

  private static BerthConfig withHandlerBinary(Path binary) {
    BerthConfig d = BerthConfig.defaults();
    return new BerthConfig(d.root(), d.state(), d.socket(), d.logLevel(), d.server(),
        new BerthConfig.Runtime(BerthConfig.CgroupDriver.CGROUPFS, "runc", Map.of("runc", binary.toString()),
            "/usr/bin/conmon", "/usr/bin/catatonit", true),
        d.network(), d.metrics(), d.streaming(), d.registry(), d.images(), d.cdi());
  }

  @Test
  void readyRuntimeAndUnreadyNetworkCarryReasons(@TempDir Path dir) throws Exception {
    Path runc = Files.createFile(dir.resolve("runc"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    Supplier<Condition> down = () -> Condition.unmet(Condition.NETWORK_READY, "NoConfig", "no CNI config in /x");
    StatusResponse response = handler(withHandlerBinary(runc), down).handle(StatusRequest.getDefaultInstance());

    assertThat(response.getStatus().getConditionsList())
        .extracting(RuntimeCondition::getType, RuntimeCondition::getStatus, RuntimeCondition::getReason)
        .containsExactly(
            Tuple.tuple("RuntimeReady", true, ""),
            Tuple.tuple("NetworkReady", false, "NoConfig"));
    assertThat(response.getRuntimeHandlersList()).extracting(RuntimeHandler::getName).containsExactly("", "runc");
    assertThat(response.getInfoMap()).isEmpty();
  }

  @Test
  void missingRuntimeBinaryMakesRuntimeUnready(@TempDir Path dir) {
    Supplier<Condition> up = () -> Condition.met(Condition.NETWORK_READY);
    StatusResponse response =
        handler(withHandlerBinary(dir.resolve("nope")), up).handle(StatusRequest.getDefaultInstance());
    RuntimeCondition runtime = response.getStatus().getConditions(0);
    assertThat(runtime.getStatus()).isFalse();
    assertThat(runtime.getReason()).isEqualTo("RuntimeBinaryMissing");
    assertThat(runtime.getMessage()).contains(dir.resolve("nope").toString()).contains("'runc'");
  }

  @Test
  void anUnchangedReadinessIsAnsweredWithTheSameResponseAndAChangeIsSeenAtOnce(@TempDir Path dir) throws Exception {
    Path runc = dir.resolve("runc");
    AtomicReference<Condition> network = new AtomicReference<>(Condition.met(Condition.NETWORK_READY));
    StatusHandler status = handler(withHandlerBinary(runc), network::get);
    StatusRequest plain = StatusRequest.getDefaultInstance();

    StatusResponse first = status.handle(plain);
    assertThat(status.handle(plain)).as("the same bytes go out again").isSameAs(first);

    network.set(Condition.unmet(Condition.NETWORK_READY, "NoConfig", "no CNI config"));
    StatusResponse networkDown = status.handle(plain);
    assertThat(networkDown.getStatus().getConditions(1).getReason()).isEqualTo("NoConfig");

    Files.createFile(runc, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    assertThat(status.handle(plain).getStatus().getConditions(0).getStatus()).as("the binary is checked each call")
        .isTrue();
    StatusResponse verbose = status.handle(StatusRequest.newBuilder().setVerbose(true).build());
    assertThat(verbose.getInfoMap()).containsKey("config");
    assertThat(status.handle(plain).getInfoMap()).as("a verbose answer is never reused").isEmpty();
  }

  @Test
  void verboseAddsEffectiveConfigAndPodCidrs(@TempDir Path dir) {
    podNetwork.setPodCidrs(List.of("10.88.0.0/24"));
    Supplier<Condition> up = () -> Condition.met(Condition.NETWORK_READY);
    StatusResponse response =
        handler(withHandlerBinary(dir.resolve("runc")), up).handle(StatusRequest.newBuilder().setVerbose(true).build());
    assertThat(response.getInfoMap().get("config")).contains("\"cgroup_driver\":\"cgroupfs\"");
    assertThat(response.getInfoMap().get("podCIDRs")).isEqualTo("[\"10.88.0.0/24\"]");
  }
}
