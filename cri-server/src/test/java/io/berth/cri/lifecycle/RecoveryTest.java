package io.berth.cri.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.cri.network.FakeNetworkPlugin.Operation;
import io.berth.oci.runtime.CreateRequest;
import io.berth.oci.spec.RuntimeSpec;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import io.berth.proto.state.v1.SandboxRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery at start, for every phase a record can be persisted in: half-made and half-removed
 * objects are destroyed, exits that happened while berthd was down are folded in, objects the
 * runtime lost are marked stopped, and running ones are left alone.
 */
class RecoveryTest {
  private static final RuntimeSpec SPEC = new RuntimeSpec(RuntimeSpec.OCI_VERSION, null, null, null, null, null, null);
  @TempDir Path dir;
  Workload before;

  @BeforeEach
  void wire() {
    before = new Workload(dir);
  }

  /** berthd restarted: new tables over the same record files, the same (still running) runtime. */
  private Workload restarted() {
    Workload after = new Workload(dir, before.runtime);
    after.recovery().run();
    return after;
  }

  private SandboxRecord sandbox(String id, Phase phase) {
    return before.sandboxes.put(SandboxRecord.newBuilder().setId(id).setName("pod-" + id).setPhase(phase)
        .setRuntimeHandler("runc").setConfig(Workload.pod(id)).build());
  }

  private ContainerRecord container(String id, String sandbox, Phase phase, boolean inRuntime) {
    if (inRuntime) {
      before.runtime.create(new CreateRequest(id, id, SPEC, dir.resolve(id + ".log"), false, false));
      if (phase == Phase.RUNNING) {
        before.runtime.start(id);
      }
    }
    return before.containers.put(ContainerRecord.newBuilder().setId(id).setName("ctr-" + id).setSandboxId(sandbox)
        .setRuntimeHandler("runc").setPhase(phase).setSnapshotKey(id).build());
  }

  @Test
  void halfMadeAndHalfRemovedSandboxesAreDestroyedWithTheirContainers() {
    sandbox("creating", Phase.CREATING);
    container("c1", "creating", Phase.CREATED, true);
    sandbox("removing", Phase.REMOVING);
    Workload after = restarted();
    assertThat(after.sandboxes.all()).isEmpty();
    assertThat(after.containers.all()).isEmpty();
    assertThat(after.runtime.containers()).isEmpty();
    assertThat(after.sandboxNames.reserve("pod-creating", "probe")).as("name released").isEmpty();
  }

  @Test
  void halfMadeHalfRemovedAndOrphanContainersAreDestroyed() {
    sandbox("pod", Phase.CREATED);
    container("creating", "pod", Phase.CREATING, true);
    container("removing", "pod", Phase.REMOVING, false);
    container("orphan", "gone-pod", Phase.RUNNING, true);
    Workload after = restarted();
    assertThat(after.containers.all()).isEmpty();
    assertThat(after.runtime.containers()).isEmpty();
    assertThat(after.sandboxes.find("pod")).hasValueSatisfying(s -> assertThat(s.getPhase()).isEqualTo(Phase.CREATED));
  }

  @Test
  void anExitWhileDownIsFoldedInAndALostContainerIsMarkedStopped() {
    sandbox("pod", Phase.CREATED);
    container("exited", "pod", Phase.RUNNING, true);
    before.runtime.exitNow("exited", 2);
    container("lost", "pod", Phase.RUNNING, false);
    container("alive", "pod", Phase.RUNNING, true);
    container("created", "pod", Phase.CREATED, true);
    Workload after = restarted();
    assertThat(after.containers.find("exited").orElseThrow()).satisfies(c -> {
      assertThat(c.getPhase()).isEqualTo(Phase.STOPPED);
      assertThat(c.getExitCode()).isEqualTo(2);
    });
    assertThat(after.containers.find("lost").orElseThrow()).satisfies(c -> {
      assertThat(c.getPhase()).isEqualTo(Phase.STOPPED);
      assertThat(c.getExitCode()).isEqualTo(255);
      assertThat(c.getReason()).isEqualTo("Unknown");
    });
    assertThat(after.containers.find("alive").orElseThrow().getPhase()).isEqualTo(Phase.RUNNING);
    assertThat(after.containers.find("created").orElseThrow().getPhase()).isEqualTo(Phase.CREATED);
    assertThat(after.runtime.calls()).noneMatch(c -> c.startsWith("kill") || c.startsWith("stop"));
  }

  @Test
  void aSandboxWhoseNetworkNamespaceOrInfraContainerIsLostIsNotReady() throws Exception {
    Path pin = Files.createDirectories(dir.resolve("state/netns")).resolve("netns-lost");
    Files.createFile(pin); // the pin file survived, its mount did not (a reboot)
    before.sandboxes.put(sandbox("netns-lost", Phase.CREATED).toBuilder().setNetnsPath(pin.toString()).build());
    before.sandboxes.put(sandbox("infra-lost", Phase.CREATED).toBuilder().setInfraPid(4242).build());
    sandbox("host-network", Phase.CREATED);
    Workload after = restarted();
    assertThat(after.sandboxes.find("netns-lost").orElseThrow().getPhase()).isEqualTo(Phase.STOPPED);
    assertThat(after.sandboxes.find("infra-lost").orElseThrow().getPhase()).isEqualTo(Phase.STOPPED);
    assertThat(after.sandboxes.find("host-network").orElseThrow().getPhase()).isEqualTo(Phase.CREATED);
  }

  /** berthd restarted with the network plugin still holding an attachment per entry (sandbox ID to netns). */
  private Workload restartedWithAttachments(Map<String, String> netnsById) {
    Workload after = new Workload(dir, before.runtime);
    netnsById.forEach((id, netns) -> after.network.setUp(id, netns, Workload.pod(id).build()));
    after.recovery().run();
    return after;
  }

  private Path unmountedPin(String id) throws Exception {
    Path pin = Files.createDirectories(dir.resolve("state/netns")).resolve(id);
    Files.createFile(pin); // the pin file is there, no namespace is mounted on it
    return pin;
  }

  @Test
  void aSandboxCaughtInsideItsNetworkSetUpIsDetachedAtTheNextStartWithoutItsDeadNamespace() throws Exception {
    Path pin = unmountedPin("creating");
    before.sandboxes.put(sandbox("creating", Phase.CREATING).toBuilder().setNetnsPath(pin.toString()).build());
    Workload after = restartedWithAttachments(Map.of("creating", pin.toString()));
    assertThat(after.network.attached()).isEmpty();
    assertThat(after.network.calls()).filteredOn(c -> c.operation() == Operation.TEAR_DOWN).singleElement()
        .satisfies(c -> assertThat(c.netns()).as("a pin that holds no namespace is passed as none").isEmpty());
    assertThat(after.sandboxes.all()).isEmpty();
  }

  @Test
  void anAttachmentNoSandboxRecordOwnsIsDetachedAndItsPinRemovedAtStart() throws Exception {
    sandbox("kept", Phase.CREATED);
    Path ghostPin = unmountedPin("ghost");
    Workload after = restartedWithAttachments(Map.of("kept", "", "ghost", ghostPin.toString()));
    assertThat(after.network.attached()).containsOnlyKeys("kept");
    assertThat(after.network.calls()).filteredOn(c -> c.operation() == Operation.TEAR_DOWN).singleElement()
        .satisfies(c -> {
          assertThat(c.sandboxId()).isEqualTo("ghost");
          assertThat(c.netns()).isEmpty();
          assertThat(c.config()).isEqualTo(PodSandboxConfig.getDefaultInstance());
        });
    assertThat(ghostPin).doesNotExist();
    assertThat(after.sandboxes.find("kept")).isPresent();
  }

  @Test
  void anOrphanAttachmentThatCannotBeDetachedIsLeftForTheNextStart() {
    sandbox("kept", Phase.CREATED);
    Workload after = new Workload(dir, before.runtime);
    after.network.setUp("ghost", "", Workload.pod("ghost").build());
    after.network.failTearDown("iptables is locked");
    after.recovery().run();
    assertThat(after.network.attached()).containsOnlyKeys("ghost");
    assertThat(after.sandboxes.find("kept")).isPresent();
  }

  @Test
  void namesOfRecoveredObjectsStayReserved() {
    sandbox("pod", Phase.CREATED);
    container("alive", "pod", Phase.RUNNING, true);
    Workload after = restarted();
    assertThat(after.sandboxNames.reserve("pod-pod", "other")).contains("pod");
    assertThat(after.containerNames.reserve("ctr-alive", "other")).contains("alive");
  }
}
