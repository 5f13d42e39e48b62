package io.berth.cri.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.NotFoundException;
import io.berth.cri.state.Timestamps;
import io.berth.oci.runtime.CreateRequest;
import io.berth.oci.spec.RuntimeSpec;
import io.berth.proto.runtime.v1.RunPodSandboxRequest;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stop and remove, of containers and sandboxes, are idempotent and record what happened. */
class StopAndRemoveTest {
  private static final RuntimeSpec SPEC = new RuntimeSpec(RuntimeSpec.OCI_VERSION, null, null, null, null, null, null);
  @TempDir Path dir;
  Workload workload;
  String pod;

  @BeforeEach
  void wire() {
    workload = new Workload(dir);
    pod = workload.runPodSandbox(true).handle(RunPodSandboxRequest.newBuilder()
        .setConfig(Workload.pod("web")).build()).getPodSandboxId();
  }

  /** A container the fake runtime runs, recorded RUNNING as StartContainer would leave it. */
  private String running(String name) {
    String id = "c-" + name;
    workload.runtime.create(new CreateRequest(id, name, SPEC, dir.resolve(name + ".log"), false,
        false));
    workload.runtime.start(id);
    workload.containers.put(ContainerRecord.newBuilder().setId(id).setName(name).setSandboxId(pod)
        .setRuntimeHandler("runc").setPhase(Phase.RUNNING).setStartedAtNs(Timestamps.now()).build());
    workload.containerNames.reserve(name, id);
    return id;
  }

  @Test
  void stoppingTwiceStopsOnceAndKeepsTheFirstExit() {
    String id = running("app");
    var first = workload.stopper.stop(id, Duration.ofSeconds(10));
    assertThat(first.getPhase()).isEqualTo(Phase.STOPPED);
    assertThat(first.getExitCode()).isEqualTo(143);
    var second = workload.stopper.stop(id, Duration.ZERO);
    assertThat(second).isEqualTo(first);
    assertThat(workload.runtime.calls()).filteredOn(c -> c.startsWith("stop ")).hasSize(1);
    assertThat(workload.events).containsExactly("CONTAINER_STOPPED_EVENT " + id);
  }

  @Test
  void aStopTimeoutOfZeroKillsAtOnceAndTheStopSignalIsTheRecords() {
    String id = running("app");
    workload.containers.put(workload.containers.find(id).orElseThrow().toBuilder().setStopSignal("QUIT").build());
    assertThat(workload.stopper.stop(id, Duration.ZERO).getExitCode()).isEqualTo(137);
    assertThat(workload.runtime.calls()).contains("stop " + id + " QUIT 0");
  }

  @Test
  void anExitTheRuntimeRecordedIsFoldedInOnTheNextRead() {
    String id = running("app");
    workload.runtime.exitNow(id, 3);
    var current = workload.exits.current(workload.containers.find(id).orElseThrow());
    assertThat(current.getPhase()).isEqualTo(Phase.STOPPED);
    assertThat(current.getReason()).isEqualTo("Error");
    assertThat(workload.containers.find(id).orElseThrow().getExitCode()).as("persisted").isEqualTo(3);
  }

  @Test
  void removingTwiceAndRemovingAMissingContainerAreFine() {
    String id = running("app");
    workload.remover.remove(id);
    workload.remover.remove(id);
    workload.remover.remove("no-such-container");
    assertThat(workload.containers.find(id)).isEmpty();
    assertThat(workload.runtime.containers()).doesNotContainKey(id);
    assertThat(workload.events).containsExactly("CONTAINER_STOPPED_EVENT " + id, "CONTAINER_DELETED_EVENT " + id);
    assertThat(workload.containerNames.reserve("app", "probe")).isEmpty();
  }

  @Test
  void stoppingAMissingContainerIsNotFound() {
    assertThatThrownBy(() -> workload.stopper.stop("nope", Duration.ZERO)).isInstanceOf(NotFoundException.class);
  }

  @Test
  void stoppingASandboxTwiceAndRemovingItTwiceAreFine() {
    String id = running("app");
    workload.teardown.stop(pod);
    var stopped = workload.teardown.stop(pod);
    assertThat(stopped.getPhase()).isEqualTo(Phase.STOPPED);
    assertThat(workload.containers.find(id).orElseThrow().getPhase()).isEqualTo(Phase.STOPPED);
    assertThat(workload.network.attached()).isEmpty();

    workload.teardown.remove(pod);
    workload.teardown.remove(pod);
    workload.teardown.remove("no-such-pod");
    assertThat(workload.leftovers()).isEmpty();
  }

  @Test
  void aCreatedButNeverStartedContainerIsKilledWhenItsSandboxStops() {
    String id = "c-created";
    workload.runtime.create(new CreateRequest(id, "created", SPEC, dir.resolve("c.log"), false,
        false));
    workload.containers.put(ContainerRecord.newBuilder().setId(id).setName("created").setSandboxId(pod)
        .setRuntimeHandler("runc").setPhase(Phase.CREATED).build());
    workload.teardown.stop(pod);
    assertThat(workload.runtime.calls()).contains("kill " + id + " KILL");
    assertThat(workload.containers.find(id).orElseThrow().getPhase()).isEqualTo(Phase.STOPPED);
  }
}
