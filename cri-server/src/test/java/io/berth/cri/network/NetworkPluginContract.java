package io.berth.cri.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.UnavailableException;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PodSandboxMetadata;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What every {@link NetworkPlugin} promises, run against each implementation that can attach
 * (the fake and CniNetwork over scripted plugins): so unit tests written against the fake hold
 * for the real one.
 */
public abstract class NetworkPluginContract {
  /** The plugin under test, ready, configured to give every pod at least one IP. */
  protected abstract NetworkPlugin plugin();

  /** The sandboxes the implementation holds anything for (attachments, cached results, addresses). */
  protected abstract Set<String> attachedSandboxes();

  /** Makes every following setUp fail part-way, as a plugin of the chain would. */
  protected abstract void failSetUps();

  protected static PodSandboxConfig pod(String name) {
    return PodSandboxConfig.newBuilder()
        .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("default").setUid("uid-" + name))
        .build();
  }

  @Test
  void reportsNetworkReadiness() {
    assertThat(plugin().readiness().type()).isEqualTo(Condition.NETWORK_READY);
    assertThat(plugin().readiness().ready()).isTrue();
  }

  @Test
  void setUpGivesIpsAndTearDownLeavesNothing() {
    assertThat(plugin().setUp("sb1", "/run/netns/sb1", pod("a"))).isNotEmpty();
    assertThat(attachedSandboxes()).containsExactly("sb1");
    plugin().tearDown("sb1", "/run/netns/sb1", pod("a"));
    assertThat(attachedSandboxes()).isEmpty();
  }

  @Test
  void tearDownIsIdempotentAndAcceptsSandboxesNeverAttached() {
    plugin().setUp("sb1", "/run/netns/sb1", pod("a"));
    plugin().tearDown("sb1", "/run/netns/sb1", pod("a"));
    plugin().tearDown("sb1", "/run/netns/sb1", pod("a"));
    plugin().tearDown("never", "/run/netns/never", pod("b"));
    assertThat(attachedSandboxes()).isEmpty();
  }

  @Test
  void sandboxesAreAttachedAndDetachedIndependently() {
    plugin().setUp("sb1", "/run/netns/sb1", pod("a"));
    plugin().setUp("sb2", "/run/netns/sb2", pod("b"));
    plugin().tearDown("sb1", "/run/netns/sb1", pod("a"));
    assertThat(attachedSandboxes()).containsExactly("sb2");
  }

  @Test
  void aFailedSetUpLeavesNothingAttached() {
    failSetUps();
    assertThatThrownBy(() -> plugin().setUp("sb1", "/run/netns/sb1", pod("a")))
        .isInstanceOf(UnavailableException.class)
        .hasMessageContaining("sb1");
    assertThat(attachedSandboxes()).isEmpty();
  }
}
