package io.berth.it.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.cri.client.CriClient;
import io.berth.it.harness.Pods;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.ContainerState;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A node reboot: berthd.service (enabled by the package) comes back, finds the container gone,
 * reports it exited and leaves no mount of it behind; the pod can be run again.
 */
@EnabledIfSystemProperty(named = "berth.vm", matches = "true")
@ExtendWith(BerthNode.class)
class NodeRebootTest {
  @Test
  void afterAGuestRebootBerthdComesBackReportsTheContainerExitedAndThePodRunsAgain() {
    BerthNode node = BerthNode.node();
    CriClient client = node.client();
    PodSandboxConfig podConfig = BerthNode.pod("reboot", "besteffort").build();
    ContainerConfig config = Pods.containerConfig("reboot", node.image(), "/bin/sh", "-c",
        "while true; do sleep 1; done").build();
    String pod = node.runPod(podConfig, "");
    String id = Pods.run(client, pod, podConfig, config);
    assertThat(Pods.status(client, id).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);

    long rebootStart = System.nanoTime();
    node.vm().reboot();
    node.sh("timeout 300 bash -c 'until systemctl is-active -q berthd; do sleep 1; done'");
    long back = System.nanoTime();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .untilAsserted(() -> assertThat(Pods.status(client, id).getState())
            .isEqualTo(ContainerState.CONTAINER_EXITED));
    assertThat(node.sh("grep -c /run/berth/rootfs/ /proc/self/mountinfo || true").strip())
        .as("no container rootfs mounted after the reboot").isEqualTo("0");
    Pods.removeAll(client);
    String again = node.runPod(podConfig, "");
    String rerun = Pods.run(client, again, podConfig, config);
    assertThat(Pods.status(client, rerun).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);
    Pods.removeAll(client);
    System.out.printf("[vm-timing] reboot until berthd active %d ms%n", (back - rebootStart) / 1_000_000);
  }
}
