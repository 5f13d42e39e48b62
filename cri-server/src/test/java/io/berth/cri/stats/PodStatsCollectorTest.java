package io.berth.cri.stats;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PodStatsCollectorTest {

  @Test
  @SuppressWarnings("checkstyle:linelength") // /proc/net/dev verbatim: its rows are wider than 120 columns
  void interfaceCountersComeFromNetDevWithoutLoopback() throws Exception {
    String netDev = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo:     140       2    0    0    0     0          0         0      140       2    0    0    0     0       0          0
          eth0:    9536      64    1    0    0     0          0         0     3050      25    2    0    0     0       0          0
        """;
    var usage = PodStatsCollector.network(netDev, 42).orElseThrow();
    assertThat(usage.getInterfacesList()).singleElement().satisfies(i -> {
      assertThat(i.getName()).isEqualTo("eth0");
      assertThat(i.getRxBytes().getValue()).isEqualTo(9536);
      assertThat(i.getRxErrors().getValue()).isEqualTo(1);
      assertThat(i.getTxBytes().getValue()).isEqualTo(3050);
      assertThat(i.getTxErrors().getValue()).isEqualTo(2);
    });
    assertThat(usage.getDefaultInterface().getName()).isEqualTo("eth0");
    assertThat(PodStatsCollector.network("garbage\nlo: 1 2 3\n", 42)).as("loopback only").isEmpty();
  }

  @Test
  void podCgroupParentsResolveForBothDrivers() {
    assertThat(PodStatsCollector.cgroupPath("/kubepods/besteffort/pod1")).isEqualTo("/kubepods/besteffort/pod1");
    assertThat(PodStatsCollector.cgroupPath("kubepods-besteffort-pod1.slice"))
        .isEqualTo("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice");
  }
}
