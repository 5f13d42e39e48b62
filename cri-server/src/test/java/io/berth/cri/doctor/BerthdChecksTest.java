package io.berth.cri.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** berthd, runtime-ready and network-ready against a fake berthd. */
class BerthdChecksTest {
  private static final BerthdProbe.Condition RUNTIME_READY =
      new BerthdProbe.Condition("RuntimeReady", true, "", "");
  private static final BerthdProbe.Condition NETWORK_NOT_READY = new BerthdProbe.Condition("NetworkReady", false,
      "NetworkPluginNotReady", "no network config (*.conflist, *.conf, *.json) in /etc/cni/net.d");

  @Test
  void aServingBerthdPasses() {
    assertThat(new BerthdCheck(FakeProbe.answering()).run())
        .isEqualTo(Result.pass("berthd", "berth 0.1.0 (CRI v1) answers at unix:///run/berth/berth.sock"));
  }

  @Test
  void anUnreachableBerthdFailsAndItsConditionsAreNotGuessed() {
    FakeProbe down = FakeProbe.down("UNAVAILABLE: io exception (FileNotFoundException)");
    Result berthd = new BerthdCheck(down).run();
    assertThat(berthd.status()).isEqualTo(Status.FAIL);
    assertThat(berthd.detail()).isEqualTo("no answer at unix:///run/berth/berth.sock: UNAVAILABLE: io exception "
        + "(FileNotFoundException)");
    assertThat(berthd.fix()).startsWith("start berthd");
    Result ready = new ConditionCheck(down, "RuntimeReady", "runtime-ready", "see runtime-runc").run();
    assertThat(ready.status()).isEqualTo(Status.WARN);
    assertThat(ready.fix()).isEqualTo("see the berthd check");
  }

  @Test
  void conditionsPassWhenTrueAndFailWithBerthdsReasonWhenFalse() {
    FakeProbe probe = FakeProbe.answering(RUNTIME_READY, NETWORK_NOT_READY);
    assertThat(new ConditionCheck(probe, "RuntimeReady", "runtime-ready", "see runtime-runc").run())
        .isEqualTo(Result.pass("runtime-ready", "RuntimeReady=true"));
    Result network = new ConditionCheck(probe, "NetworkReady", "network-ready", "see cni-config and cni-plugins")
        .run();
    assertThat(network).isEqualTo(Result.fail("network-ready", "NetworkReady=false (NetworkPluginNotReady: no "
        + "network config (*.conflist, *.conf, *.json) in /etc/cni/net.d)", "see cni-config and cni-plugins"));
  }

  @Test
  void aMissingConditionFails() {
    Result result = new ConditionCheck(FakeProbe.answering(RUNTIME_READY), "NetworkReady", "network-ready", "x")
        .run();
    assertThat(result.status()).isEqualTo(Status.FAIL);
    assertThat(result.detail()).contains("no NetworkReady condition");
  }
}
