package io.berth.cri.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.UnavailableException;
import io.berth.cri.network.FakeNetworkPlugin.Call;
import io.berth.cri.network.FakeNetworkPlugin.Operation;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FakeNetworkPluginTest extends NetworkPluginContract {
  private final FakeNetworkPlugin fake = new FakeNetworkPlugin();

  @Override
  protected NetworkPlugin plugin() {
    return fake;
  }

  @Override
  protected Set<String> attachedSandboxes() {
    return fake.attached().keySet();
  }

  @Override
  protected void failSetUps() {
    fake.failSetUp("no addresses left");
  }

  @Test
  void recordsEveryCallWithItsSandboxAndNamespace() {
    var config = pod("a");
    fake.returnIps("10.1.0.7", "fd00::7");
    assertThat(fake.setUp("sb1", "/run/netns/sb1", config)).containsExactly("10.1.0.7", "fd00::7");
    fake.tearDown("sb1", "/run/netns/sb1", config);
    assertThat(fake.calls()).containsExactly(
        new Call(Operation.SET_UP, "sb1", "/run/netns/sb1", config),
        new Call(Operation.TEAR_DOWN, "sb1", "/run/netns/sb1", config));
    assertThat(fake.sandboxesOf(Operation.SET_UP)).containsExactly("sb1");
  }

  @Test
  void failuresAreRecordedLeaveTheStateAsTheRealPluginWouldAndStopOnRequest() {
    fake.setUp("sb1", "/run/netns/sb1", pod("a"));
    fake.failTearDown("bridge DEL failed");
    assertThatThrownBy(() -> fake.tearDown("sb1", "/run/netns/sb1", pod("a")))
        .isInstanceOf(UnavailableException.class)
        .hasMessageContaining("bridge DEL failed");
    assertThat(fake.attached()).as("a failed DEL keeps the attachment").containsEntry("sb1", "/run/netns/sb1");
    fake.stopFailing();
    fake.tearDown("sb1", "/run/netns/sb1", pod("a"));
    assertThat(fake.attached()).isEmpty();
    assertThat(fake.sandboxesOf(Operation.TEAR_DOWN)).containsExactly("sb1", "sb1");
  }

  @Test
  void readinessIsWhatTheTestSays() {
    fake.notReady("NetworkPluginNotReady", "cni config uninitialized");
    assertThat(fake.readiness().ready()).isFalse();
    assertThat(fake.readiness().reason()).isEqualTo("NetworkPluginNotReady");
  }
}
